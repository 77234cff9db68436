"""The outbox's backlog and the age of its oldest entry, read from the service's database when scraped.
Every instance of a service shares its database, so each reports the same numbers: aggregate with max().
The relay removes what it published at its next turn (within 50 ms: see relay.REMOVE_WITHIN), so a busy
outbox counts its last turn's entries too; a backlog that stays, or an oldest entry older than a second,
is what to alert on."""
from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from jiesu_shared.store.database import Database
from jiesu_shared.store.tables import OutboxEntry

_OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
_BACKLOG = select(func.count(), func.min(_OUTBOX.c.created_at))


class OutboxCollector:
    def __init__(self, database: Database) -> None:
        self._db = database

    def collect(self):
        with self._db.reading() as session:
            count, oldest = session.connection().execute(_BACKLOG).one()
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily("jiesu_outbox_backlog", "Events committed but not yet published to the log",
                                value=count)
        yield GaugeMetricFamily("jiesu_outbox_oldest_age_seconds",
                                "Age of the oldest unpublished outbox entry (0 when empty)", value=age)
