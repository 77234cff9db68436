"""The second of a replay's two processes: it stages the de-identified events the first one reads and sends
it, writing JSON Lines and Parquet as they come, and then the second half of XES and OCEL while the first
process writes the first half (`structured`).

The read is split in two so both of a small machine's cores work on it at once: the first process decodes,
de-identifies and makes the event's JSON line, what the staging keeps of it (`slim`) and its Parquet row;
this one stages it and notes the objects it names. Memory stays flat: the pipe holds a batch or two, and
the sender waits when it is full. Forked, not spawned: nothing to import again; the child uses no thread the parent had started."""
from __future__ import annotations

import gc
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import orjson
import pyarrow as pa

from jiesu_audit.replay.flat import JsonLines, ParquetRows
from jiesu_audit.replay.reading import RulesInForce
from jiesu_audit.replay.staging import Staging
from jiesu_audit.replay.structured import Structured, write_second_half


@dataclass(slots=True)
class Sent:
    """A batch of events as the reader sends them, in log order: their JSON lines, what XES and OCEL read of
    them (`slim`, as JSON), their cases, and their Parquet columns (None when no Parquet is asked for)."""
    lines: list[bytes]
    slims: list[bytes]
    cases: list[str | None]
    parquet: pa.RecordBatch | None


@dataclass
class Staged:
    events: int  # exported once
    duplicates: int  # the same event id again (at-least-once delivery)
    cases: int
    objects: int
    about_no_case: int
    rules: RulesInForce


@dataclass
class Outputs:
    staging: Path
    jsonl: Path | None
    parquet: Path | None
    structured: Structured


class Stager:
    """The parent's handle: `send` batches in log order, then `staged()` once all are sent, then `done()`."""

    def __init__(self, outputs: Outputs) -> None:
        self._conn, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(theirs, self._conn, outputs), name="jiesu-replay-stager", daemon=True)
        # the parent's objects (jieba's dictionary, hundreds of MiB) out of the collector's sight while forking:
        # a collection in the child would otherwise write to every one of them, copying all their pages
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        theirs.close()

    def send(self, batch: Sent | None) -> None:
        try:
            self._conn.send(batch)
        except OSError:  # it stopped: its answer says why
            self._answer("staged")

    def staged(self) -> Staged:
        self.send(None)  # the end
        return self._answer("staged")

    def done(self) -> dict[str, int]:
        """Its half of XES and OCEL written: the XES counts of that half."""
        return self._answer("done")

    def _answer(self, expected: str):
        try:
            outcome, detail = self._conn.recv()
        except (EOFError, OSError):
            outcome, detail = "failed", "it ended without an answer"
        if outcome != expected:
            self.close()
            raise OSError(f"staging the events failed: {detail} (exit code {self._process.exitcode})")
        return detail

    def close(self) -> None:
        self._conn.close()  # a child still waiting for events sees the end of the pipe, and stops
        self._process.join()


def _serve(conn: Connection, parents: Connection, outputs: Outputs) -> None:
    parents.close()  # the fork's copy of the parent's end: else the parent closing its own would not end the pipe
    try:
        staging = Staging(outputs.staging)
        conn.send(("staged", _stage_all(conn, staging, outputs)))
        halves = outputs.structured
        second = write_second_half(staging, halves) if halves.xes is not None or halves.ocel is not None else {}
        staging.db.close()
        conn.send(("done", second))
    except BaseException as exc:  # told to the parent, which reports it as the replay's failure
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass  # the parent is gone
    finally:
        conn.close()


def _stage_all(conn: Connection, staging: Staging, outputs: Outputs) -> Staged:
    jsonl, parquet = JsonLines(outputs.jsonl), ParquetRows(outputs.parquet)
    events = duplicates = 0
    while (batch := conn.recv()) is not None:
        fresh = staging.add([(orjson.loads(slimmed), case_id, slimmed)  # slim: a third of the line to parse
                             for slimmed, case_id in zip(batch.slims, batch.cases)])
        kept = sum(fresh)
        duplicates += len(fresh) - kept
        events += kept
        if kept < len(fresh):  # a redelivery (rare): only the events staged for the first time are written
            batch.lines = [line for line, new in zip(batch.lines, fresh) if new]
            batch.parquet = batch.parquet.filter(pa.array(fresh)) if batch.parquet is not None else None
        jsonl.add(batch.lines)
        parquet.add(batch.parquet)
    jsonl.close()
    parquet.close()
    staging.close()
    return Staged(events, duplicates,
                  cases=staging.scalar("SELECT COUNT(DISTINCT case_id) FROM events WHERE case_id IS NOT NULL"),
                  objects=staging.scalar("SELECT COUNT(*) FROM objects"),
                  about_no_case=staging.scalar("SELECT COUNT(*) FROM events WHERE case_id IS NULL"), rules=staging.rules)
