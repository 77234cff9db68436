"""Case ids: random (version 4) UUIDs, as `uuid.uuid4()` makes them, from os.urandom read 4 KiB at a time.

os.urandom lets go of the GIL for its system call. Called on the event loop once per request, it handed
the GIL to intake's writer thread in the middle of every request, and the loop then waited (up to the
interpreter's 5 ms switch interval) for the writer's batch before it could answer anyone else. The same
randomness, one system call per 256 ids."""
from __future__ import annotations

import os
import threading
import uuid

_IDS_PER_READ = 256


class _RandomBytes:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # Open311's routes record cases from the thread pool
        self._pool, self._at = b"", 0
        os.register_at_fork(after_in_child=self._forget)  # a child must not repeat its parent's ids

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._at + count > len(self._pool):
                self._pool, self._at = os.urandom(count * _IDS_PER_READ), 0
            self._at += count
            return self._pool[self._at - count:self._at]

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._at = b"", 0


_random = _RandomBytes()


def new_case_id() -> str:
    return str(uuid.UUID(bytes=_random.take(16), version=4))
