"""Audit's service layer: every figure is a query over the read-model tables its consumer keeps current
(nothing is folded over all cases at a question), and a case's timeline is folded from its own events."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jiesu_shared.events import Envelope
from jiesu_shared.store import Database

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.intervals import intervals_of
from jiesu_audit.projections.timeline import TimelineEntry, timeline_of
from jiesu_audit.queries import departments, handovers, rates, recurring


def envelope_of(entry: TimelineEntry) -> Envelope:
    return Envelope(id=entry.event_id, source=entry.source, type=entry.type, subject=entry.case_id,
                    time=entry.time, sequence=entry.sequence, correlationid=entry.correlation_id,
                    causationid=entry.causation_id, traceparent=entry.traceparent, data=json.loads(entry.data))


class AuditService:
    def __init__(self, database: Database, rates_config: dict[str, Any], clock: Callable[[], datetime]) -> None:
        self.database = database
        self.rates_config = rates_config
        self.clock = clock

    def ask(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a query function of `jiesu_audit.queries` on a read-only connection."""
        with self.database.reading() as session:
            return work(session.connection(), *args, **kwargs)

    def case_timeline(self, case_id: str) -> tuple[list[TimelineEntry], dict[str, Any]] | None:
        with self.database.reading() as session:
            entries = timeline_of(session, case_id)
        if not entries:
            return None
        history = CaseHistory(case_id)
        for entry in entries:
            history.apply(envelope_of(entry))
        return entries, intervals_of(history, self.clock())

    def departments(self, period: str, as_of: datetime | None, first: str | None = None, last: str | None = None,
                    department: str | None = None) -> list[dict[str, Any]]:
        return self.ask(departments.department_rows, period=period, as_of=as_of or self.clock(), first=first,
                          last=last, department=department)

    def handovers(self, limit: int, offset: int, period: str = "month", first: str | None = None,
                  last: str | None = None) -> dict[str, Any]:
        return self.ask(handovers.network, limit, offset, period=period, first=first, last=last)

    def edges_of(self, department: str, period: str = "month", first: str | None = None,
                 last: str | None = None) -> list[dict[str, Any]]:
        """The department's hand-over edges: the returns made within `first`..`last` (keys of `period`)."""
        return self.ask(handovers.edges, department, period=period, first=first, last=last)

    def three_rates(self, month: str, as_of: datetime | None) -> dict[str, Any]:
        return self.ask(rates.three_rates, self.rates_config, month=month, as_of=as_of or self.clock())

    def outcomes(self, month: str | None, department: str | None = None,
                 within: tuple[str, ...] = ()) -> dict[str, int]:
        return self.ask(rates.outcome_mix, month, department=department, within=within)

    def recurring(self, window_days: int | None, min_cases: int | None, level: str | None, limit: int,
                  offset: int, case_limit: int, within: tuple[str, ...] = ()) -> tuple[list[dict[str, Any]], int]:
        """A page of the recurring problems (`within` a district or street) and how many there are, with the
        configured defaults."""
        defaults = self.rates_config["recurring"]
        return self.ask(recurring.recurring_page, window_days=window_days or defaults["window_days"],
                        min_cases=min_cases or defaults["min_cases"], level=level or defaults["level"],
                        limit=limit, offset=offset, case_limit=case_limit, within=within)

    def recurring_cases(self, category: str, place: tuple[str, ...], window_days: int | None, level: str,
                        limit: int, offset: int) -> dict[str, Any] | None:
        """A page of one group's densest window (None if the group never received a case)."""
        return self.ask(recurring.problem_cases, category=category, place=place,
                        window_days=window_days or self.rates_config["recurring"]["window_days"], level=level,
                        limit=limit, offset=offset)
