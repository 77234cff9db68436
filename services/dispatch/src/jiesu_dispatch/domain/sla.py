"""SLA clocks: deadlines per subject and urgency, and the timers each offered task starts."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cached_property
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

    def described(self) -> dict[str, Any]:
        """The whole policy, every clock in seconds and every override in its order (ties go to the first)."""
        return {**_clocks(self), "overrides": [{"category": cat, "urgency": urg, **_clocks(policy)}
                                               for cat, urg, policy in self.overrides]}

    @cached_property
    def version(self) -> str:
        """A short hash of the canonical `described()` JSON, stamped on each dispatch and offer: it changes
        whenever any rule does (a restart with other JIESU_SLA_RULES shows in the log), with no name for an
        operator to forget to change; the same policy gets the same version on every instance and restart."""
        canonical = json.dumps(self.described(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sla-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _clocks(policy: SlaPolicy) -> dict[str, Any]:
    return {"decide_within_seconds": policy.decide_within.total_seconds(),
            "respond_within_seconds": policy.respond_within.total_seconds(),
            "resolve_within_seconds": policy.resolve_within.total_seconds(),
            "report_in_within_seconds": policy.report_in_within.total_seconds(), "warn_at": policy.warn_at}


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
