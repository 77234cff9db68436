"""The response times per (month, street) as kept in `audit_street_times`: each street's count, mean and sum of
squared deviations, counted from the facts for some groups (every stale one at a refresh, those still stale at a
question) and read back with the stale groups counted afresh.

The mean and the sum of squares are float sums whose last bits the rankings' p-value shows, so a group is always
counted whole, by one query that takes its times in ascending order (as the rankings counted them at every
question before they were kept): SQLite reads them in that order from ix_audit_offers_response_times; PostgreSQL,
which may scan the table instead, is told the order."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by

from jiesu_audit.readmodel.tables import offers, stale_streets, street_times

Times = tuple[int, float, float]  # count, mean, sum of squared deviations from the mean
_LISTED = 400  # months or streets named in an IN (...); beyond that, all are counted


def counted(conn: Connection, groups: set[tuple[str, str]]) -> dict[tuple[str, str], Times]:
    """These (month, street) groups' times counted from the facts (all of their months' when they are many)."""
    if not groups:
        return {}
    o = offers.c
    months, streets = sorted({m for m, _ in groups}), sorted({s for _, s in groups})

    def responded(*where: Any) -> Any:
        return (o.is_lead_case, o.has_accepted_at, o.responded_after.is_not(None), *where)

    def in_order(value: Any) -> Any:
        return aggregate_order_by(value, o.responded_after) if conn.dialect.name == "postgresql" else value

    scope = ([o.offered_month.in_(months)] if len(months) <= _LISTED else []) + \
        ([o.street_key.in_(streets)] if len(streets) <= _LISTED else [])
    means = select(o.offered_month.label("month"), o.street_key.label("street"), func.count().label("n"),
                   func.avg(in_order(o.responded_after)).label("mean")) \
        .where(*responded(o.street_key.is_not(None), *scope)).group_by(o.offered_month, o.street_key).subquery()
    deviation = o.responded_after - means.c.mean
    within = select(func.sum(in_order(deviation * deviation))).where(
        *responded(o.offered_month == means.c.month, o.street_key == means.c.street)).scalar_subquery()
    rows = conn.execute(select(means.c.month, means.c.street, means.c.n, means.c.mean, within))
    return {(month, street): (int(n), float(mean), float(ss or 0.0)) for month, street, n, mean, ss in rows
            if (month, street) in groups}


def rows_of(times: dict[tuple[str, str], Times]) -> list[dict[str, Any]]:
    return [{"period": m, "street_key": s, "responded": n, "mean": mean, "within_ss": ss}
            for (m, s), (n, mean, ss) in sorted(times.items())]


def of_month(conn: Connection, month: str) -> dict[str, Times]:
    """{street: (count, mean, sum of squares)} of the month: kept, or counted afresh where stale."""
    stale = {(month, s) for (s,) in conn.execute(select(stale_streets.c.street_key).where(
        stale_streets.c.period == month))}
    t = street_times.c
    found = {s: (n, mean, ss) for s, n, mean, ss in conn.execute(
        select(t.street_key, t.responded, t.mean, t.within_ss).where(t.period == month)) if (month, s) not in stale}
    found.update({s: times for (_, s), times in counted(conn, stale).items()})
    return found


def forget(conn: Connection, table: Any, groups: list[tuple[str, str]]) -> None:
    """The rows of these (month, street) groups in `street_times` or `stale_streets`."""
    for start in range(0, len(groups), 300):
        conn.execute(table.delete().where(tuple_(table.c.period, table.c.street_key).in_(groups[start:start + 300])))
