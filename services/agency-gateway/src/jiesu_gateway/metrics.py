"""The gateway's webhook figures for /metrics, read from its database when scraped: the queue of deliveries
waiting, and every attempt and failed attempt per department (monotonic: attempts are never deleted).
Instances share the database, so each reports the same numbers: aggregate with max(), not sum()."""
from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import case, func, select

from jiesu_shared.store.database import Database

from jiesu_gateway.adapters.tables import Delivery, DeliveryAttempt

_DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]
_QUEUE = (select(_DELIVERIES.c.department_id, func.count())
          .where(_DELIVERIES.c.status == "pending").group_by(_DELIVERIES.c.department_id))
_PER_DEPARTMENT = (select(_DELIVERIES.c.department_id, func.count(),
                          func.sum(case((_ATTEMPTS.c.outcome != "ok", 1), else_=0)))
                   .select_from(_ATTEMPTS.join(_DELIVERIES, _DELIVERIES.c.id == _ATTEMPTS.c.delivery_id))
                   .group_by(_DELIVERIES.c.department_id))


class WebhookCollector:
    def __init__(self, database: Database) -> None:
        self._db = database

    def collect(self):
        with self._db.reading() as session:
            connection = session.connection()
            queue = list(connection.execute(_QUEUE))
            per_department = list(connection.execute(_PER_DEPARTMENT))
        depth = GaugeMetricFamily("jiesu_webhook_queue_depth", "Webhook deliveries waiting to be sent or retried",
                                  labels=["department"])
        for department, count in queue:
            depth.add_metric([department], count)
        attempts = CounterMetricFamily("jiesu_webhook_attempts", "Webhook delivery attempts", labels=["department"])
        failures = CounterMetricFamily("jiesu_webhook_failures", "Webhook delivery attempts that failed",
                                       labels=["department"])
        for department, count, failed in per_department:
            attempts.add_metric([department], count)
            failures.add_metric([department], failed or 0)
        yield from (depth, attempts, failures)
