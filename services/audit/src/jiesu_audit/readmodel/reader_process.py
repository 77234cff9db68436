"""A large catch-up reads the log in a second process: reading, decoding and checking the records is about a
third of a catch-up's work, and this way the catch-up folds and writes one stretch while the next is read,
both cores at work.

Spawned, not forked: the audit server runs threads (the HTTP server's, the database pool's), and a fork would
copy whatever lock one of them held at that instant. The child imports only the log's reading (about 0.5 s
of CPU and 35 MiB). Stretches come through a pipe as marshal bytes — the events' attributes, data and texts,
their times as ISO text — several times cheaper than pickling views with datetimes; the pipe holds about one
stretch, so the memory stays flat. A failure in the child is raised here with its reason; a catch-up that
stops early ends the child."""
from __future__ import annotations

import marshal
import multiprocessing
from collections.abc import Iterator
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from jiesu_shared.events import EventView

from jiesu_audit.readmodel.log_reading import Poison, ReadEvent, read_stretches

_STRETCH, _END, _FAILED = b"s", b"e", b"f"
_MOST_EVENTS = 2_000  # in one message: the stretch being decoded, sent and taken apart is all either end holds


class ReaderFailed(RuntimeError):
    """The reader process could not read the log: its reason."""


def read_stretches_elsewhere(path: Path, topic: str, stretch_events: int, start: int,
                             end: int) -> Iterator[tuple[list[ReadEvent], list[Poison], int]]:
    """What `log_reading.read_stretches` yields, read and decoded in a process of its own (stretches of at most
    `_MOST_EVENTS`)."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_serve, name="jiesu-audit-log-reader", daemon=True,
                              args=(theirs, str(path), topic, min(stretch_events, _MOST_EVENTS), start, end))
    process.start()
    theirs.close()
    try:
        while True:
            try:
                message = mine.recv_bytes()
            except EOFError:
                process.join()
                raise ReaderFailed(f"the log's reader process ended without an answer (exit code {process.exitcode})")
            kind = message[:1]
            if kind == _END:
                return
            if kind == _FAILED:
                raise ReaderFailed(message[1:].decode())
            yield _stretch(message[1:])
    finally:
        mine.close()
        if process.is_alive():  # stopped early: it may be waiting to hand over the next stretch
            process.terminate()
        process.join()


def _stretch(body: bytes) -> tuple[list[ReadEvent], list[Poison], int]:
    rows, poison, next_offset = marshal.loads(body)
    moment, view = datetime.fromisoformat, EventView._make
    events = [(r[0], view((r[1], r[2], r[3], r[4], moment(r[5]), r[6], r[7], r[8], r[9], r[10])), r[11])
              for r in rows]
    return events, poison, next_offset


def _serve(conn: Connection, path: str, topic: str, stretch_events: int, start: int, end: int) -> None:
    try:
        for events, poison, next_offset in read_stretches(Path(path), topic, stretch_events, start, end):
            rows = [(offset, e.id, e.source, e.type, e.subject, e.time.isoformat(), e.sequence, e.correlationid,
                     e.causationid, e.traceparent, e.data, text) for offset, e, text in events]
            conn.send_bytes(_STRETCH + marshal.dumps((rows, poison, next_offset)))
        conn.send_bytes(_END)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the catch-up stopped early and closed its end
    except BaseException as exc:  # told to the catch-up, which fails with it
        try:
            conn.send_bytes(_FAILED + f"{type(exc).__name__}: {exc}".encode())
        except OSError:
            pass
    finally:
        conn.close()
