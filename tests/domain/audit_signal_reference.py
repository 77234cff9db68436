"""Webhook deliveries and SLA warnings as they were counted from the facts at every question, before they were
kept per (department, period): the reference the kept rows must answer exactly as (`queries/signals.py` then)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from jiesu_audit.domain.times import ratio
from jiesu_audit.queries.common import no_spread, spreads, within
from jiesu_audit.readmodel.tables import offers, warnings


def _count(condition) -> Any:  # type: ignore[no-untyped-def]
    return func.sum(case((condition, 1), else_=0))


def _only(column, value: str | None) -> list:  # type: ignore[no-untyped-def]
    return [] if value is None else [column == value]


def deliveries(conn: Connection, *, period: str, first: str | None, last: str | None,
               department: str | None = None) -> list[dict[str, Any]]:
    per = offers.c[f"offered_{period}"]
    keys, where = [offers.c.department, per], [*within(per, first, last), *_only(offers.c.department, department)]
    times = spreads(conn, keys, offers.c.notified_after, where)
    rows = conn.execute(select(*keys, func.count(), _count(offers.c.notified_after.is_not(None)),
                               func.coalesce(func.sum(offers.c.notify_attempts), 0),
                               func.coalesce(func.sum(offers.c.notification_failures), 0))
                        .where(*where).group_by(*keys).order_by(*keys))
    return [{"department": d, "period": p, "offers": n, "delivered": delivered, "attempts": attempts,
             "failures": failures, "delivery_seconds": times.get((d, p), no_spread())}
            for d, p, n, delivered, attempts, failures in rows]


def sla_warnings(conn: Connection, *, period: str, first: str | None, last: str | None,
                 department: str | None = None) -> list[dict[str, Any]]:
    per = warnings.c[f"warned_{period}"]
    keys = [warnings.c.department, per, warnings.c.clock]
    where = [*within(per, first, last), *_only(warnings.c.department, department)]
    rows = conn.execute(select(*keys, func.count(), _count(warnings.c.heeded)).where(*where)
                        .group_by(*keys).order_by(*keys))
    return [{"department": d, "period": p, "clock": clock, "warnings": n, "heeded": heeded,
             "heeded_rate": ratio(heeded, n)} for d, p, clock, n, heeded in rows]
