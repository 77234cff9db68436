"""The one retry policy for a message whose stream moved on while it was decided (optimistic concurrency)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from jiesu_shared.store.event_store import ConcurrencyError

T = TypeVar("T")
# Each attempt reloads and decides again on what the winner wrote. Writers on one stream are few (a
# department and its webhook outcome, a coordinator and the log), so five attempts lose only to a storm.
ATTEMPTS = 5


class Busy(ConcurrencyError):
    """The stream kept moving under every attempt: nothing was recorded; the caller may try again later."""


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run `work` (one whole transaction) again while it raises ConcurrencyError, `attempts` times at most."""
    for _ in range(attempts - 1):
        try:
            return work()
        except ConcurrencyError:
            continue
    try:
        return work()
    except ConcurrencyError as exc:
        raise Busy(f"{exc} (after {attempts} attempts)") from exc
