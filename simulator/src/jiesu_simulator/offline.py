"""Offline mode: a synthetic but lawful event log of any size, in time order, with bounded memory.

Cases arrive as a Poisson process; each case's whole story is drafted at arrival and its events wait
in a heap until the clock reaches them, so only the open cases are ever held.
"""
from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jiesu_shared.events import Envelope

from jiesu_simulator.lawful_log import Draft, LogBook
from jiesu_simulator.scenario import Scenario, default_scenario
from jiesu_simulator.stories import Storyteller

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Truth:
    """What the simulation planted and did, for checking what the audit finds. Its counters stay bounded
    whatever the log's size; the per-return list (about 170 bytes a return, some 170 MB at a million cases)
    is kept only when asked for with `keep_returns=True`."""

    planted: dict[str, str]
    keep_returns: bool = False
    cases: int = 0
    events: int = 0
    outcomes: Counter = field(default_factory=Counter)
    returns_by_department: Counter = field(default_factory=Counter)
    subjects: Counter = field(default_factory=Counter)
    # per department: offers whose webhook was acknowledged, the attempts that took, and deliveries given up
    notified: Counter = field(default_factory=Counter)
    notify_attempts: Counter = field(default_factory=Counter)
    notification_failures: Counter = field(default_factory=Counter)
    progress_reports: Counter = field(default_factory=Counter)  # per department
    duplicates_linked: int = 0
    _returns: list[dict[str, str]] = field(default_factory=list, init=False, repr=False)

    @property
    def returns(self) -> list[dict[str, str]]:
        """Every planted return: case, task, returning department, reason, subject and who owned the case
        in the end. An error, not an empty list, when not kept: an empty list would pass for "no returns"."""
        if not self.keep_returns:
            raise ValueError("this Truth keeps no per-return list: make it with Truth(..., keep_returns=True)")
        return self._returns


def generate(*, cases: int, seed: int = 1, scenario: Scenario | None = None, cases_per_day: float = 500.0,
             start: datetime = START, truth: Truth | None = None) -> Iterator[Envelope]:
    scenario = scenario or default_scenario()
    rng = random.Random(seed)
    book = LogBook(rng)
    teller = Storyteller(scenario, rng, book)
    pending: list[tuple[datetime, int, Draft]] = []
    remaining: Counter = Counter()  # case -> events not yet out
    order = 0
    arrival = start
    for _ in range(cases):
        arrival += timedelta(days=rng.expovariate(cases_per_day))
        while pending and pending[0][0] <= arrival:
            yield _release(heapq.heappop(pending)[2], book, remaining, truth)
        story = teller.tell(arrival)
        _record(truth, story)
        for draft in story.events:
            order += 1
            heapq.heappush(pending, (draft.time, order, draft))
        remaining[story.case_id] = len(story.events)
    while pending:
        yield _release(heapq.heappop(pending)[2], book, remaining, truth)


def _release(draft: Draft, book: LogBook, remaining: Counter, truth: Truth | None) -> Envelope:
    envelope = book.publish(draft)
    remaining[draft.case_id] -= 1
    if remaining[draft.case_id] == 0:
        del remaining[draft.case_id]
        book.close_case(draft.case_id)
    if truth is not None:
        truth.events += 1
    return envelope


def _record(truth: Truth | None, story) -> None:  # type: ignore[no-untyped-def]
    if truth is None:
        return
    truth.cases += 1
    truth.outcomes[story.truth["outcome"]] += 1
    truth.subjects[story.truth["subject"]] += 1
    for department, attempts, given_up in story.truth["deliveries"]:
        if given_up:
            truth.notification_failures[department] += 1
        else:
            truth.notified[department] += 1
            truth.notify_attempts[department] += attempts
    truth.progress_reports.update(story.truth.get("progress_reports", ()))
    truth.duplicates_linked += "duplicate_of" in story.truth
    for department, reason, task_id in story.truth.get("returns", []):
        truth.returns_by_department[department] += 1
        if truth.keep_returns:
            truth.returns.append({"case_id": story.case_id, "task_id": task_id, "department": department,
                                  "reason": reason, "category": story.truth["category"],
                                  "final_lead": story.truth["final_lead"]})
