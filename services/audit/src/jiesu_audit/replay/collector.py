"""Python's cyclic garbage collector, asked to run rarely while an export runs.

An export makes a few dozen dicts, lists and tuples per event and drops them again: none refers back to
itself, so reference counting frees every one, and the collector — by default run after every 700 new
containers, several times per event — scans them in vain (10–20 % of an export's CPU on the 10,000-case
district, measured). Memory stays as it was: what the export keeps is bounded, and nothing waits for the
collector to be freed. Cycles that do occur (a traceback, say) are still collected, only later."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_RARELY = (100_000, 50, 100)  # the youngest generation scanned after 100,000 new containers, not 700


@contextmanager
def rare_collections() -> Iterator[None]:
    """Entered before the stager is forked: the child inherits the setting."""
    before = gc.get_threshold()
    gc.set_threshold(*_RARELY)
    try:
        yield
    finally:
        gc.set_threshold(*before)
