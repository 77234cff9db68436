"""The requests a citizen may repeat, and the case intake links a repeat to (its duplicate rule).

Only the cases received within intake's duplicate window are kept: an older one can no longer be linked
to, so what is held is bounded by the arrival rate, not by the size of the district.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from jiesu_shared.catalogue.common import Place


@dataclass(frozen=True)
class Request:
    """A case intake could link a later one to: classified, not itself a duplicate."""

    case_id: str
    received_at: datetime
    closed_at: datetime
    subject: str
    category: str
    place: Place
    citizen_id: str

    def same_problem(self, other: Request) -> bool:
        """Intake's "same subject at the same place": category, district, street and community (not the grid)."""
        mine, theirs = self.place, other.place
        return self.category == other.category and (mine.district, mine.street, mine.community) == (
            theirs.district, theirs.street, theirs.community)


class OpenRequests:
    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._recent: deque[Request] = deque()  # in order of receipt

    def add(self, request: Request) -> None:
        self._forget_before(request.received_at)
        self._recent.append(request)

    def repeatable(self, at: datetime) -> list[Request]:
        """The requests still open at `at` and received within the window before it."""
        self._forget_before(at)
        return [r for r in self._recent if r.closed_at > at]

    def linked_to(self, repeated: Request, at: datetime) -> Request:
        """What intake links a repeat of `repeated` to: the first case open at `at` on the same subject at the
        same place within the window (perhaps an earlier one than the citizen's own)."""
        return next(r for r in self.repeatable(at) if r.same_problem(repeated))

    def _forget_before(self, at: datetime) -> None:
        while self._recent and self._recent[0].received_at < at - self.window:
            self._recent.popleft()
