"""Webhook deliveries and SLA warnings per (department, period) as kept in `audit_signal_periods`: counted from
the facts for some groups (every stale one at a refresh, those still stale at a question), read back with the
stale groups counted afresh, in the order the database would have grouped them.

A group's tally: {"deliveries": {offers, delivered, attempts, failures, delivery_seconds}} for the offers (of
every kind) made in it, {"warnings": {clock: {warnings, heeded}}} for the SLA warnings given in it; either
part is absent when the group has none."""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select, text

from jiesu_audit.queries.common import count_where, no_spread, spreads_together
from jiesu_audit.queries.departments import group_scope, groups_in_scope
from jiesu_audit.readmodel.tables import offers, signal_periods, stale_groups, warnings

Tally = dict[str, Any]


def counted(conn: Connection, period: str, groups: set[tuple[str, str]],
            shared: dict[str, Any] | None = None) -> dict[tuple[str, str], Tally]:
    """These groups' tallies counted from the facts (all of a period kind's when they are many); the delivery
    times taken from `shared` when the department figures' count of the same groups left them there."""
    scope = group_scope(groups)
    tallies: dict[tuple[str, str], Tally] = defaultdict(dict)
    per = offers.c[f"offered_{period}"]
    keys, where = [offers.c.department, per], scope(per, offers.c.department)
    for d, p, n, delivered, attempts, failures in conn.execute(select(
            *keys, func.count(), count_where(offers.c.notified_after.is_not(None)),
            func.coalesce(func.sum(offers.c.notify_attempts), 0),
            func.coalesce(func.sum(offers.c.notification_failures), 0)).where(*where).group_by(*keys)):
        tallies[(d, p)]["deliveries"] = {"offers": n, "delivered": delivered, "attempts": attempts,
                                         "failures": failures, "delivery_seconds": no_spread()}
    times = (shared or {}).get("delivery_seconds")
    if times is None:
        [times] = spreads_together(conn, keys, [offers.c.notified_after],
                                   [*where, offers.c.notified_after.is_not(None)])
    for key, spread in times.items():
        tallies[key]["deliveries"]["delivery_seconds"] = spread
    w_per = warnings.c[f"warned_{period}"]
    w_keys = [warnings.c.department, w_per, warnings.c.clock]
    for d, p, clock, n, heeded in conn.execute(select(*w_keys, func.count(), count_where(warnings.c.heeded)).where(
            *scope(w_per, warnings.c.department)).group_by(*w_keys)):
        tallies[(d, p)].setdefault("warnings", {})[clock] = {"warnings": n, "heeded": heeded}
    return {key: tally for key, tally in tallies.items() if key in groups}


def kept(tally: Tally) -> str:
    return json.dumps(tally)


def in_scope(conn: Connection, period: str, first: str | None, last: str | None,
             department: str | None) -> list[tuple[str, str, Tally]]:
    """(department, period, tally) of every group in scope: the kept ones, and the stale ones counted afresh."""
    stale = groups_in_scope(conn, stale_groups, period, first, last, department)
    found = {(d, p): json.loads(tally) for d, p, tally in groups_in_scope(
        conn, signal_periods, period, first, last, department, signal_periods.c.tally) if (d, p) not in stale}
    if stale:
        found.update(counted(conn, period, stale))
    return [(d, p, tally) for (d, p), tally in found.items()]


def database_order(conn: Connection, words: set[str]):  # type: ignore[no-untyped-def]
    """A sort key that orders these strings as the database's ORDER BY would: PostgreSQL's default collation
    may follow a locale (the answers were ordered by a GROUP BY's ORDER BY); SQLite compares code points."""
    if conn.dialect.name != "postgresql":
        return lambda word: word
    ranks = {word: n for n, (word,) in enumerate(conn.execute(
        text("SELECT w FROM unnest(CAST(:words AS text[])) AS t(w) ORDER BY w"), {"words": sorted(words)}))}
    return ranks.__getitem__
