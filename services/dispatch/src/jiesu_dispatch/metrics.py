"""Dispatch's SLA figures for /metrics, read from its timers when scraped: timers due and not yet fired
(a growing number means the timer worker or the watermark is behind) and the breach detection lag, the
time from a deadline to its sla.breached event, as a summary over every breach (rows are kept, so the
sum and count only grow). Instances share the database: aggregate with max()."""
from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from sqlalchemy import func, select

from jiesu_shared.store.database import Database

from jiesu_dispatch.adapters.tables import TimerRow

_TIMERS = TimerRow.__table__  # type: ignore[attr-defined]
_BREACHES = (select(_TIMERS.c.deadline, _TIMERS.c.fired_at)
             .where(_TIMERS.c.phase == "breach", _TIMERS.c.fired_at.is_not(None), _TIMERS.c.fired_events > 0))


class SlaCollector:
    def __init__(self, database: Database) -> None:
        self._db = database

    def collect(self):
        now = datetime.now(UTC)
        with self._db.reading() as session:
            connection = session.connection()
            due = connection.execute(select(func.count()).where(
                _TIMERS.c.fired_at.is_(None), _TIMERS.c.due_at <= now)).scalar_one()
            breaches = list(connection.execute(_BREACHES))
        lags = [max(0.0, (_utc(fired) - _utc(deadline)).total_seconds()) for deadline, fired in breaches]
        yield GaugeMetricFamily("jiesu_sla_timers_due", "SLA timers past their due time and not yet fired", value=due)
        yield SummaryMetricFamily("jiesu_sla_breach_detection_lag_seconds",
                                  "From a deadline to dispatch appending its breach", count_value=len(lags),
                                  sum_value=sum(lags))
        yield GaugeMetricFamily("jiesu_sla_breach_detection_lag_max_seconds",
                                "The longest breach detection lag seen", value=max(lags, default=0.0))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
