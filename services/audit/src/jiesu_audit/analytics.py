"""Audit's service layer: the case histories kept current from the stored timeline, and the figures over them.

Histories are folded incrementally: each call reads only the timeline rows stored since the last one
(rows are kept in the order the consumer handled them, which is log order per case), so a dashboard
refresh costs the new events, not the whole log.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from jiesu_shared.events import Envelope
from jiesu_shared.store import Database

from jiesu_audit.domain.departments import department_stats, handover_network
from jiesu_audit.domain.history import CaseHistory, fold_into
from jiesu_audit.domain.intervals import intervals_of
from jiesu_audit.domain.rates import outcome_mix, recurring_problems, three_rates
from jiesu_audit.projections.timeline import TimelineEntry, timeline_of

_BATCH = 5000


def envelope_of(entry: TimelineEntry) -> Envelope:
    return Envelope(id=entry.event_id, source=entry.source, type=entry.type, subject=entry.case_id,
                    time=entry.time, sequence=entry.sequence, correlationid=entry.correlation_id,
                    causationid=entry.causation_id, traceparent=entry.traceparent, data=json.loads(entry.data))


class AuditService:
    def __init__(self, database: Database, rates_config: dict[str, Any], clock: Callable[[], datetime]) -> None:
        self.database = database
        self.rates_config = rates_config
        self.clock = clock
        self._histories: dict[str, CaseHistory] = {}
        self._last_row = 0
        self._lock = threading.Lock()

    def histories(self) -> list[CaseHistory]:
        with self._lock:
            self._catch_up()
            return [self._histories[k] for k in sorted(self._histories)]

    def _catch_up(self) -> None:
        while True:
            with self.database.transaction() as session:
                rows = session.exec(select(TimelineEntry).where(col(TimelineEntry.id) > self._last_row)
                                    .order_by(col(TimelineEntry.id)).limit(_BATCH)).all()
                envelopes = [envelope_of(r) for r in rows]
            for envelope in envelopes:
                fold_into(self._histories, envelope)
            if not rows:
                return
            self._last_row = rows[-1].id or self._last_row

    def case_timeline(self, case_id: str) -> tuple[list[TimelineEntry], dict[str, Any]] | None:
        with self.database.transaction() as session:
            entries = timeline_of(session, case_id)
        if not entries:
            return None
        history = CaseHistory(case_id)
        for entry in entries:
            history.apply(envelope_of(entry))
        return entries, intervals_of(history, self.clock())

    def departments(self, period: str, as_of: datetime | None) -> list[dict[str, Any]]:
        return department_stats(self.histories(), period=period, as_of=as_of or self.clock())

    def handovers(self) -> dict[str, Any]:
        return handover_network(self.histories())

    def three_rates(self, month: str, as_of: datetime | None) -> dict[str, Any]:
        return three_rates(self.histories(), self.rates_config, month=month, as_of=as_of or self.clock())

    def outcomes(self, month: str | None) -> dict[str, int]:
        return outcome_mix(self.histories(), month=month)

    def recurring(self, window_days: int | None, min_cases: int | None, level: str | None) -> list[dict[str, Any]]:
        defaults = self.rates_config["recurring"]
        return recurring_problems(self.histories(), window_days=window_days or defaults["window_days"],
                                  min_cases=min_cases or defaults["min_cases"], level=level or defaults["level"])
