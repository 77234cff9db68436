"""The three rates' counts per (month, department) as kept in `audit_rate_periods`: counted from the facts for
some groups (every stale one at a refresh, those still stale at a question), read back with the stale groups
counted afresh. The tasks not yet answered are not kept: whether one is overdue depends on "now", so they are
counted at the question, from an index of the open tasks alone.

A group's tally: {"responses": [[street, in time, answered], ...]} for the lead case tasks offered in it that
were accepted, had a response deadline and were answered, and {"verdicts": [[street, outcome, satisfaction,
n], ...]} for the call-backs recorded in it that name it as the lead; either part absent when it has none.
All exact counts: summed in any order, they give what counting every row at the question gives."""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from jiesu_audit.queries.common import count_where
from jiesu_audit.queries.departments import group_scope, groups_in_scope
from jiesu_audit.readmodel.tables import callbacks, offers, rate_periods, stale_groups

Tally = dict[str, Any]


def counted(conn: Connection, period: str, groups: set[tuple[str, str]],
            shared: dict[str, Any] | None = None) -> dict[tuple[str, str], Tally]:
    """These (department, month) groups' tallies counted from the facts (all of the months' when they are many);
    none for a week or a day: the three rates are monthly."""
    if period != "month":
        return {}
    scope = group_scope(groups)
    tallies: dict[tuple[str, str], Tally] = defaultdict(dict)
    o = offers.c
    keys = (o.offered_month, o.department, o.street_key)  # the order of ix_audit_offers_responses: read in place
    for month, department, street, on_time, n in conn.execute(
            select(*keys, count_where(o.responded_us <= o.respond_by_us), func.count())
            .where(o.is_lead_case, o.has_accepted_at, o.respond_by_us.is_not(None), o.responded_us.is_not(None),
                   *scope(o.offered_month, o.department)).group_by(*keys)):
        tallies[(department, month)].setdefault("responses", []).append([street, int(on_time), n])
    c = callbacks.c
    keys = (c.recorded_month, c.lead_department, c.street_key, c.outcome, c.satisfaction)  # ix_audit_callbacks_verdicts
    for month, department, street, outcome, satisfaction, n in conn.execute(
            select(*keys, func.count()).where(c.lead_department.is_not(None),
                                              *scope(c.recorded_month, c.lead_department)).group_by(*keys)):
        tallies[(department, month)].setdefault("verdicts", []).append([street, outcome, satisfaction, n])
    return {key: tally for key, tally in tallies.items() if key in groups}


def kept(tally: Tally) -> str:
    return json.dumps(tally)


def of_month(conn: Connection, month: str) -> list[tuple[str, Tally]]:
    """(department, tally) of every department with a group in the month: kept, or counted afresh if stale."""
    stale = groups_in_scope(conn, stale_groups, "month", month, month, None)
    found = {(d, p): json.loads(tally) for d, p, tally in groups_in_scope(
        conn, rate_periods, "month", month, month, None, rate_periods.c.tally) if (d, p) not in stale}
    if stale:
        found.update(counted(conn, "month", stale))
    return [(d, tally) for (d, _), tally in found.items()]


def overdue_unanswered(conn: Connection, month: str, as_of_us: int | None):  # type: ignore[no-untyped-def]
    """Per (department, street), the accepted lead case tasks offered in the month that are past their response
    deadline at `as_of` and not answered: read from ix_audit_offers_open_responses (the open tasks only)."""
    o = offers.c
    return conn.execute(select(o.department, o.street_key, func.count())
                        .where(o.is_lead_case, o.has_accepted_at, o.respond_by_us.is_not(None),
                               o.responded_us.is_(None), o.offered_month == month, o.respond_by_us < as_of_us)
                        .group_by(o.department, o.street_key)).all()
