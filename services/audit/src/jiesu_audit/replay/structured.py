"""XES and OCEL from the staged events — one pass over them by case feeds both — written in a process of
their own while the first one writes Parquet: once every event is staged the formats are independent, and
the two processes keep both of a small machine's cores busy."""
from __future__ import annotations

import gc
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path

from jiesu_audit.replay.ocel import OcelWriter
from jiesu_audit.replay.reading import RulesInForce, read_case
from jiesu_audit.replay.staging import Staging
from jiesu_audit.replay.xes import XesWriter


def write_xes_and_ocel(staging: Staging, xes_path: Path | None, ocel_path: Path | None) -> dict[str, int]:
    """Both files in one pass; the XES counts (traces, events), or {} when no XES was asked for."""
    xes = XesWriter(xes_path) if xes_path is not None else None
    ocel = OcelWriter(ocel_path, staging) if ocel_path is not None else None
    for case_id, docs in staging.by_case():
        readings = read_case(docs, staging.rules)
        if xes is not None and case_id is not None:
            xes.trace(case_id, staging.case_attributes(case_id), readings)
        if ocel is not None:
            ocel.events_of(readings)
    if ocel is not None:
        ocel.close()
    if xes is None:
        return {}
    xes.close()
    return {"traces": xes.traces, "events": xes.events}


class XesAndOcelElsewhere:
    """`write_xes_and_ocel` in a forked process with its own connection to the (committed) staging file.
    Forked, not spawned: nothing to import again; the child uses no thread the parent had started."""

    def __init__(self, staging_path: Path, rules: RulesInForce, xes_path: Path | None, ocel_path: Path | None) -> None:
        self._answers, answer = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.get_context("fork").Process(
            target=_write_and_answer, args=(answer, staging_path, rules, xes_path, ocel_path),
            name="jiesu-replay-xes-ocel", daemon=True)
        # the parent's objects (jieba's dictionary, hundreds of MiB) out of the collector's sight while forking:
        # a collection in the child would otherwise write to every one of them, copying all their pages
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        answer.close()

    def result(self) -> dict[str, int]:
        try:
            outcome, detail = self._answers.recv()
        except EOFError:
            outcome, detail = "failed", "it ended without an answer"
        self._process.join()
        if outcome != "done":
            raise OSError(f"writing XES and OCEL failed: {detail} (exit code {self._process.exitcode})")
        return detail


def _write_and_answer(answer: Connection, staging_path: Path, rules: RulesInForce, xes_path: Path | None,
                      ocel_path: Path | None) -> None:
    try:
        staging = Staging.reopened(staging_path, rules)
        answer.send(("done", write_xes_and_ocel(staging, xes_path, ocel_path)))
    except BaseException as exc:  # told to the parent, which reports it as the replay's failure
        answer.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        answer.close()
