"""SLA clocks: deadlines per subject and urgency, and the timers each offered task starts."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from jiesu_shared.catalogue.common import SlaClock
from jiesu_shared.catalogue.dispatch import TaskOffered


@dataclass(frozen=True)
class SlaPolicy:
    decide_within: timedelta = timedelta(hours=2)
    respond_within: timedelta = timedelta(hours=24)
    resolve_within: timedelta = timedelta(days=7)
    report_in_within: timedelta = timedelta(minutes=30)
    warn_at: float = 0.8  # a warning when this share of a clock's window has passed
    # (category or "*", urgency or "*") -> overrides, the most specific match wins
    overrides: tuple[tuple[str, str, SlaPolicy], ...] = field(default=())

    def for_case(self, category: str, urgency: str) -> SlaPolicy:
        best: tuple[int, SlaPolicy] | None = None
        for cat, urg, policy in self.overrides:
            if cat in ("*", category) and urg in ("*", urgency):
                rank = (cat != "*") * 2 + (urg != "*")
                if best is None or rank > best[0]:
                    best = (rank, policy)
        return best[1] if best else self

    def with_overrides(self, rules: list[dict[str, Any]]) -> SlaPolicy:
        """Rules like {"urgency": "emergency", "respond_within_hours": 2, "resolve_within_days": 1}."""
        built = []
        for rule in rules:
            policy = replace(self, overrides=())
            for unit, name in (("hours", "decide_within"), ("hours", "respond_within"), ("days", "resolve_within"),
                               ("minutes", "report_in_within")):
                if f"{name}_{unit}" in rule:
                    policy = replace(policy, **{name: timedelta(**{unit: float(rule[f"{name}_{unit}"])})})
            built.append((str(rule.get("category", "*")), str(rule.get("urgency", "*")), policy))
        return replace(self, overrides=tuple(built))


@dataclass(frozen=True)
class TimerSpec:
    """One durable timer: a warning (before) or a breach (at the deadline) of one clock of one task."""

    timer_id: str
    case_id: str
    task_id: str
    department_id: str
    clock: SlaClock
    phase: str  # "warning" or "breach"
    due_at: datetime
    deadline: datetime


def timers_for(offer: TaskOffered, offered_at: datetime, warn_at: float) -> list[TimerSpec]:
    """A whistle's report-in task has one clock; every other task has decide, respond and resolve clocks."""
    if offer.kind == "whistle_report_in" and offer.report_in_by is not None:
        clocks: list[tuple[SlaClock, datetime, bool]] = [("report_in", offer.report_in_by, False)]
    else:
        clocks = [("decide", offer.decide_by, True), ("respond", offer.respond_by, True),
                  ("resolve", offer.resolve_by, True)]
    specs = []
    for clock, deadline, warn in clocks:
        def spec(phase: str, due: datetime, clock: SlaClock = clock, deadline: datetime = deadline) -> TimerSpec:
            return TimerSpec(timer_id=f"{offer.task_id}/{clock}/{phase}", case_id=offer.case_id,
                             task_id=offer.task_id, department_id=offer.department_id, clock=clock, phase=phase,
                             due_at=due, deadline=deadline)

        if warn and deadline > offered_at:
            specs.append(spec("warning", offered_at + (deadline - offered_at) * warn_at))
        specs.append(spec("breach", deadline))
    return specs
