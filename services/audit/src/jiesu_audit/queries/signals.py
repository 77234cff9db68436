"""Figures from the events that were once only on the timeline: webhook delivery per department, SLA
warnings heeded, time awaiting a ruling per street and coordinator, and events counted per period."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from jiesu_audit.domain.times import ratio
from jiesu_audit.queries import signal_tallies
from jiesu_audit.queries.common import count_where, no_spread, spreads, within
from jiesu_audit.readmodel.tables import marks, rulings


def _only(column, value: str | None) -> list:  # type: ignore[no-untyped-def]
    """A filter on one unit, or none."""
    return [] if value is None else [column == value]


def deliveries(conn: Connection, *, period: str, first: str | None, last: str | None,
               department: str | None = None) -> list[dict[str, Any]]:
    """Per department and period of the offer: webhooks delivered, the time from offer to acknowledgement,
    the attempts it took, and the deliveries given up (task.notification_failed). Read from the kept rows
    (`signal_tallies`), the stale groups counted afresh."""
    found = [(d, p, t["deliveries"]) for d, p, t in signal_tallies.in_scope(conn, period, first, last, department)
             if "deliveries" in t]
    order = signal_tallies.database_order(conn, {w for d, p, _ in found for w in (d, p)})
    return [{"department": d, "period": p, **tally}
            for d, p, tally in sorted(found, key=lambda row: (order(row[0]), order(row[1])))]


def sla_warnings(conn: Connection, *, period: str, first: str | None, last: str | None,
                 department: str | None = None) -> list[dict[str, Any]]:
    """Per department, period and clock: warnings given, and those heeded (the act came after the warning,
    no later than the deadline). Read from the kept rows, the stale groups counted afresh."""
    found = [(d, p, clock, n["warnings"], n["heeded"])
             for d, p, t in signal_tallies.in_scope(conn, period, first, last, department)
             for clock, n in t.get("warnings", {}).items()]
    order = signal_tallies.database_order(conn, {w for row in found for w in row[:3]})
    return [{"department": d, "period": p, "clock": clock, "warnings": n, "heeded": heeded,
             "heeded_rate": ratio(heeded, n)}
            for d, p, clock, n, heeded in sorted(found, key=lambda row: (order(row[0]), order(row[1]),
                                                                           order(row[2])))]


def awaiting_rulings(conn: Connection, *, first: str | None, last: str | None, street: str | None = None,
                     coordinator: str | None = None) -> dict[str, Any]:
    """Escalations by month escalated: how long cases waited for a coordinator's ruling, per street (of the
    case) and per coordinator (who ruled); those still waiting are counted, not timed. `street`
    (district/street) and `coordinator` narrow both lists to those escalations."""
    where = [*within(rulings.c.escalated_month, first, last), *_only(rulings.c.street_key, street),
             *_only(rulings.c.coordinator, coordinator)]
    return {"streets": _waits(conn, rulings.c.street_key, "street", where),
            "coordinators": _waits(conn, rulings.c.coordinator, "coordinator",
                                   [*where, rulings.c.coordinator.is_not(None)])}


def _waits(conn: Connection, by, label: str, where: list) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    times = spreads(conn, [by], rulings.c.waited_seconds, where)
    rows = conn.execute(select(by, func.count(), count_where(rulings.c.ruled)).where(*where).group_by(by).order_by(by))
    return [{label: name, "escalations": n, "ruled": ruled, "awaiting": n - ruled,
             "waited_seconds": times.get((name,), no_spread())} for name, n, ruled in rows]


def counted(conn: Connection, *, period: str, first: str | None, last: str | None,
            department: str | None = None) -> list[dict[str, Any]]:
    """Per period and kind (and the department concerned, where there is one): duplicates linked, call-backs
    falling due, reroutes, progress reports, late report-ins. `department`: only what concerns it."""
    per = marks.c[f"at_{period}"]
    keys = [per, marks.c.kind, marks.c.department]
    where = [*within(per, first, last), *_only(marks.c.department, department)]
    rows = conn.execute(select(*keys, func.count()).where(*where).group_by(*keys)).all()
    ordered = sorted(rows, key=lambda r: (r[0], r[1], r[2] or ""))
    return [{"period": p, "kind": kind, "department": department, "count": n} for p, kind, department, n in ordered]
