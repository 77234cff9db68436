"""Giving the C heap's free pages back to the system. glibc keeps what a process freed in its heap for reuse,
and a long burst of allocations (a catch-up's batch: millions of small objects and rows, freed at its end)
leaves the resident memory at its peak while the pages sit free; `malloc_trim` returns them. A no-op where the
C library has no such call (musl, macOS)."""
from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def return_free_memory() -> None:
    if _TRIM is not None:
        _TRIM(0)
