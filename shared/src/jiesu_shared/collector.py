"""Python's cyclic garbage collector, set for how Jiesu's processes allocate.

A request, an event or an exported record makes a few dozen dicts, lists and tuples and drops them again;
none refers back to itself, so reference counting frees every one. With the default young-generation
threshold (700 new containers) the collector still ran every dozen requests or several times an event,
walking every object still alive — about a tenth of intake's CPU per case and 10–20 % of an export's, for
nothing to free (measured). Cycles that do occur (a traceback, say) are still collected, only later."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SERVING_YOUNG_THRESHOLD = 10_000  # two collections in 3,000 cases at intake, the same peak memory
_RARELY = (100_000, 50, 100)  # a batch job: the youngest generation scanned after 100,000 new containers


def set_for_serving() -> None:
    """After start-up, before serving: what start-up built (jieba's dictionary, the app, the routes) lives as
    long as the process and is frozen out of the full collections; collections of the young run less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(SERVING_YOUNG_THRESHOLD, middle, oldest)


@contextmanager
def rare_collections() -> Iterator[None]:
    """For a batch job such as an export; a process forked inside inherits the setting."""
    before = gc.get_threshold()
    gc.set_threshold(*_RARELY)
    try:
        yield
    finally:
        gc.set_threshold(*before)
