"""Silos and delays per department and period: offers (counted in the period they were made), whistles
(the period they were blown) and open meeting tasks (the period they were decided)."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from jiesu_audit.domain.times import ratio
from jiesu_audit.queries.common import count_where, no_spread, spreads, spreads_together, within
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.tables import breaches, department_periods, meeting_tasks, offers, stale_groups, summons

_LISTED = 400  # periods or departments named in an IN (...); beyond that, all are counted


def _blank() -> dict[str, Any]:
    return {"offers": 0, "accepted": 0, "returned": 0, "cancelled": 0, "returns_by_reason": {},
            "decide": no_spread(), "respond": no_spread(), "complete": no_spread(), "sla_breaches": {},
            "summoned": 0, "reported_in": 0, "report_in": no_spread(), "no_shows": 0,
            "meeting_open": 0, "meeting_overdue": 0}


Scope = Callable[[Any, Any], list]  # (period column, department column) -> conditions


def department_rows(conn: Connection, *, period: str, as_of: datetime, first: str | None = None,
                    last: str | None = None, department: str | None = None) -> list[dict[str, Any]]:
    """The kept figures of each (department, period) in scope, those whose facts changed since counted
    afresh, and the open meeting tasks (which depend on `as_of`) counted now."""
    tallies: dict[tuple[str, str], dict[str, Any]] = defaultdict(_blank)
    stale = groups_in_scope(conn, stale_groups, period, first, last, department)
    for d, p, tally in groups_in_scope(conn, department_periods, period, first, last, department,
                                       department_periods.c.tally):
        if (d, p) not in stale:
            tallies[(d, p)].update(json.loads(tally))
    if stale:
        tallies.update(counted(conn, period, stale))
    _meetings(conn, tallies, period, first, last, department, micros(as_of))
    return [{"department": d, "period": p, **_view(t)} for (d, p), t in sorted(tallies.items())]


def groups_in_scope(conn: Connection, table, period: str, first, last, department, *more) -> Any:  # type: ignore[no-untyped-def]
    """The (department, period) of a kept or stale table's rows of one period kind in scope (a set), or with
    `more` columns (rows)."""
    where = [table.c.period_kind == period, *within(table.c.period, first, last)]
    if department is not None:
        where.append(table.c.department == department)
    rows = conn.execute(select(table.c.department, table.c.period, *more).where(*where))
    return rows.all() if more else {(d, p) for d, p in rows}


def counted(conn: Connection, period: str, groups: set[tuple[str, str]],
            shared: dict[str, Any] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """These groups' figures counted from the facts (all of a period kind's when they are many). `shared`: the
    refresh's, which also keeps the deliveries: their times (offers of every kind) are read in the same pass
    over the offers, left there as "delivery_seconds" (see `signal_tallies.counted`)."""
    scope = group_scope(groups)
    tallies: dict[tuple[str, str], dict[str, Any]] = defaultdict(_blank)
    _offers(conn, tallies, period, scope, shared)
    _whistles(conn, tallies, period, scope)
    return {key: tally for key, tally in tallies.items() if key in groups}


def group_scope(groups: set[tuple[str, str]]) -> Scope:
    """Conditions that take in these (department, period) groups' facts (and maybe others: filter after)."""
    departments, periods = sorted({d for d, _ in groups}), sorted({p for _, p in groups})

    def scope(per, by) -> list:  # type: ignore[no-untyped-def]
        return ([per.in_(periods)] if len(periods) <= _LISTED else []) + \
            ([by.in_(departments)] if len(departments) <= _LISTED else [])
    return scope


def kept(tally: dict[str, Any]) -> str:
    """A tally as kept in `audit_department_periods`: without what depends on "now"."""
    return json.dumps({k: v for k, v in tally.items() if not k.startswith("meeting_")})


def _offers(conn: Connection, tallies: dict, period: str, scope: Scope, shared: dict[str, Any] | None) -> None:
    per = offers.c[f"offered_{period}"]
    keys = [offers.c.department, per]
    is_case = offers.c.kind == "case"
    where = [is_case, *scope(per, offers.c.department)]
    for d, p, n, accepted, returned, cancelled in conn.execute(select(
            *keys, func.count(), count_where(offers.c.was_accepted), count_where(offers.c.returned),
            count_where(offers.c.cancelled_undecided)).where(*where).group_by(*keys)):
        tallies[(d, p)].update(offers=n, accepted=accepted, returned=returned, cancelled=cancelled)
    reasons = conn.execute(select(*keys, offers.c.return_reason, func.count()).where(
        *where, offers.c.returned, offers.c.return_reason.is_not(None)).group_by(*keys, offers.c.return_reason))
    for d, p, reason, n in reasons:
        tallies[(d, p)]["returns_by_reason"][reason] = n
    times = {"decide": offers.c.decided_after, "respond": offers.c.responded_after,
             "complete": offers.c.completed_after}
    if shared is None:
        found = spreads_together(conn, keys, list(times.values()), where)
    else:  # every offer read once for a case task's times and any task's delivery: a second sorted pass cost more
        *found, shared["delivery_seconds"] = spreads_together(
            conn, keys, [*(case((is_case, time)) for time in times.values()), offers.c.notified_after],
            scope(per, offers.c.department))
    for name, spread_of in zip(times, found):
        for key, spread in spread_of.items():
            tallies[key][name] = spread
    b_per = breaches.c[f"offered_{period}"]
    for d, p, clock, n in conn.execute(select(breaches.c.department, b_per, breaches.c.clock, func.count()).where(
            *scope(b_per, breaches.c.department)).group_by(breaches.c.department, b_per, breaches.c.clock)):
        tallies[(d, p)]["sla_breaches"][clock] = n


def _whistles(conn: Connection, tallies: dict, period: str, scope: Scope) -> None:
    per = summons.c[f"blown_{period}"]
    keys = [summons.c.department, per]
    where = scope(per, summons.c.department)
    for d, p, n, reported, no_shows in conn.execute(select(
            *keys, func.count(), count_where(summons.c.reported_in), count_where(summons.c.no_show)).where(*where)
            .group_by(*keys)):
        tallies[(d, p)].update(summoned=n, reported_in=reported, no_shows=no_shows)
    for key, spread in spreads(conn, keys, summons.c.report_in_seconds, [*where, summons.c.reported_in]).items():
        tallies[key]["report_in"] = spread


def _meetings(conn: Connection, tallies: dict, period: str, first, last, department, as_of_us: int | None  # type: ignore[no-untyped-def]
              ) -> None:
    per = meeting_tasks.c[f"recorded_{period}"]
    keys = [meeting_tasks.c.owner, per]
    where = [meeting_tasks.c.completed.is_(False), *within(per, first, last)]
    if department is not None:
        where.append(meeting_tasks.c.owner == department)
    overdue = meeting_tasks.c.deadline_us.is_not(None) & (meeting_tasks.c.deadline_us < as_of_us)
    for d, p, n, late in conn.execute(select(*keys, func.count(), count_where(overdue)).where(*where).group_by(*keys)):
        tallies[(d, p)].update(meeting_open=n, meeting_overdue=late)


def _view(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "offers": t["offers"], "accepted": t["accepted"], "returned": t["returned"], "cancelled": t["cancelled"],
        "acceptance_rate": ratio(t["accepted"], t["offers"]), "return_rate": ratio(t["returned"], t["offers"]),
        "returns_by_reason": dict(sorted(t["returns_by_reason"].items())),
        "time_to_decide_seconds": t["decide"], "time_to_respond_seconds": t["respond"],
        "time_to_complete_seconds": t["complete"], "sla_breaches": dict(sorted(t["sla_breaches"].items())),
        "whistles": {"summoned": t["summoned"], "reported_in": t["reported_in"],
                     "report_in_seconds": t["report_in"], "no_shows": t["no_shows"]},
        "meeting_tasks": {"open": t["meeting_open"], "overdue": t["meeting_overdue"]},
    }
