"""The catch-up's second process: it reads the embedded log's records, decodes and checks them and makes
their timeline rows (`ready.decode_stored`), stretch after stretch, while the catch-up's own process folds
and writes the stretch before — both of a small machine's cores at work, as in the replay's export
(`replay/stager.py`).

What it sends is plain tuples of strings (the event's data stays JSON text, parsed again only for a type
the fold reads): pickling the parsed data would cost more than parsing it twice. Memory stays flat: the
pipe holds one stretch, and the reader waits while it is full. Forked, not spawned: nothing to import
again; the child uses no thread, connection or pool the parent had open. If the catch-up stops or dies,
the child's next send finds the pipe closed and it ends."""
from __future__ import annotations

import gc
import multiprocessing
import sqlite3
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from jiesu_audit.readmodel.ready import TimeValue, decode_stored

_ROWS = 10_000  # records read from the log at a time
# A stretch takes the reader a second or so. Forked while another thread of audit's may be inside SQLite
# (an HTTP question), the child could find one of SQLite's process-wide locks held by nobody and wait for ever;
# then the catch-up fails after this long, and the subscription catches up instead (its slower way).
PATIENCE_SECONDS = 60.0
# (ready events, poison [(offset, key, value, headers text, reason)], the offset after the stretch)
Stretch = tuple[list[tuple], list[tuple], int]


class LogReader:
    """Reads offsets start..end of one topic of the embedded log at `path` in a child process; `stretches()`
    hands them over in order; `close()` ends the child (also when not all were taken)."""

    patience_seconds = PATIENCE_SECONDS

    def __init__(self, path: Path, topic: str, start: int, end: int, stretch_events: int,
                 time_of: TimeValue) -> None:
        self._conn, theirs = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(theirs, self._conn, path, topic, start, end, stretch_events, time_of),
            name="jiesu-audit-log-reader", daemon=True)
        gc.freeze()  # the parent's objects out of the child's collections: else each would copy their pages
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        theirs.close()

    def stretches(self) -> Iterator[Stretch]:
        while True:
            message = self._next()
            if message[0] == "end":
                return
            if message[0] != "stretch":
                raise OSError(f"reading the log failed: {message[1]} (exit code {self._process.exitcode})")
            yield message[1], message[2], message[3]

    def _next(self) -> tuple:
        try:
            if not self._conn.poll(self.patience_seconds):
                return "failed", f"it sent nothing for {self.patience_seconds} s"
            return self._conn.recv()
        except (EOFError, OSError):
            return "failed", "it ended without an answer"

    def close(self) -> None:
        self._conn.close()  # a child still sending finds the pipe closed, and stops
        self._process.join(timeout=5)  # it notices when it sends its next stretch: a second or so
        if self._process.is_alive():  # stuck: it only reads, nothing is lost
            self._process.kill()
            self._process.join()


def _serve(conn: Connection, parents: Connection, path: Path, topic: str, start: int, end: int,
           stretch_events: int, time_of: TimeValue) -> None:
    parents.close()  # the fork's copy of the parent's end
    gc.enable()  # the parent may have turned it off for its batches; this process frees as it goes
    try:
        for stretch, poison, next_offset in read_stretches(path, topic, start, end, stretch_events, time_of):
            conn.send(("stretch", stretch, poison, next_offset))
        conn.send(("end",))
    except BaseException as exc:  # told to the parent, which fails the catch-up with it
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass  # the parent is gone, or stopped reading
    finally:
        conn.close()


def read_stretches(path: Path, topic: str, start: int, end: int, stretch_events: int,
                   time_of: TimeValue) -> Iterator[Stretch]:
    """The records start..end in offset order, decoded, a stretch of about `stretch_events` at a time."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        position = start
        while position < end:
            stretch: list[tuple] = []
            poison: list[tuple] = []
            while position < end and len(stretch) < stretch_events:
                rows = db.execute("SELECT offset, key, value, headers FROM records WHERE topic = ? AND offset >= ? "
                                  "AND offset < ? ORDER BY offset LIMIT ?", (topic, position, end, _ROWS)).fetchall()
                if not rows:
                    position = end
                    break
                decode_stored(rows, time_of, stretch, poison)
                position = rows[-1][0] + 1
            yield stretch, poison, position
    finally:
        db.close()
