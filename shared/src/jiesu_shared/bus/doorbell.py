"""Doorbells for the embedded log: a publisher rings every reader of the same log file right after its append
commits, so a waiting reader fetches at once instead of looking at the file every few milliseconds.

Each reader owns a named pipe (FIFO) in a directory beside the log file; a ring is one byte written to each pipe without
blocking (a full pipe has been rung already). A pipe that nobody holds open (its process died) is removed by
the next ring. Only appends ring, not the readers' own offset and lease writes, so a ring means "records may
be new". Readers still wait with a bounded timeout, and where named pipes do not exist they poll instead.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import uuid
from pathlib import Path

_FALLBACK_POLL = 0.02  # seconds between looks where there are no named pipes (not on POSIX)
_PENDING = ".pending-"  # a pipe being made: not rung, and not taken for a dead one


def doorbells_of(log_path: Path) -> Path:
    """`log-sqlite3.doorbells` beside `log.sqlite3`: not matched by `log.sqlite3*`, the file and its journals."""
    return log_path.with_name(log_path.name.replace(".", "-") + ".doorbells")


def ring_all(log_path: Path) -> None:
    """Ring every reader's doorbell (from the publisher's worker thread, after its append committed)."""
    try:
        entries = list(os.scandir(doorbells_of(log_path)))
    except FileNotFoundError:
        return  # nobody waits
    for entry in entries:
        if not entry.name.startswith(_PENDING):
            _ring(entry.path)


def _ring(path: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no reader holds it open: its process is gone
            with contextlib.suppress(OSError):
                os.unlink(path)
        return  # e.g. removed meanwhile by its reader, or not ours to write: that reader polls at its timeout
    try:
        os.write(fd, b"\0")
    except BlockingIOError:
        pass  # full: rung already, and not read yet
    finally:
        os.close(fd)


class Doorbell:
    """One reader's doorbell, on its event loop: clear() before looking at the log, then wait()."""

    def __init__(self, log_path: Path) -> None:
        self._dir = doorbells_of(log_path)
        self._path: Path | None = None
        self._fd: int | None = None
        self._rung = asyncio.Event()

    def open(self) -> None:
        if not hasattr(os, "mkfifo"):
            return  # polls instead
        self._dir.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        pending, self._path = self._dir / f"{_PENDING}{name}", self._dir / name
        os.mkfifo(pending, 0o660)
        # Read and write: the pipe always has a writer (this end), so it never reads as closed, and
        # publishers can open it without blocking. Opened before it gets its name, so no ring removes it.
        self._fd = os.open(pending, os.O_RDWR | os.O_NONBLOCK)
        os.rename(pending, self._path)
        asyncio.get_running_loop().add_reader(self._fd, self._answer)

    def close(self) -> None:
        if self._fd is None:
            return
        asyncio.get_running_loop().remove_reader(self._fd)
        os.close(self._fd)
        self._fd = None
        with contextlib.suppress(OSError):
            os.unlink(self._path)  # type: ignore[arg-type]

    def clear(self) -> None:
        """About to look at the log: rings from now on are for the next look."""
        self._rung.clear()

    async def wait(self, seconds: float) -> None:
        """Until a ring (since the last clear) or `seconds`."""
        if self._fd is None:
            await asyncio.sleep(min(_FALLBACK_POLL, seconds))
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._rung.wait(), timeout=seconds)

    def _answer(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._fd, 4096):  # type: ignore[arg-type]
                pass
        self._rung.set()
