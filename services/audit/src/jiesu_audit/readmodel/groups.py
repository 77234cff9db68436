"""Keeping the figures counted per (period kind, department, period) current: each department's figures
(`audit_department_periods`), its webhook deliveries and SLA warnings (`audit_signal_periods`) and its three
rates' counts per street (`audit_rate_periods`, months only); and the response times per (month, street)
(`audit_street_times`). Rewriting a case's facts marks the groups its offers (of any kind), whistles, warnings
and call-backs fall in as stale (`audit_stale_groups`), and the (month, street) of its offers
(`audit_stale_streets`), in the same transaction; `refresh` counts the stale groups afresh and keeps their rows
in every kept table. An offer, a whistle, a warning or a call-back never leaves its department and period, and a
case's place is set once (by case.received; a case's offers before it have no street), so the groups of a
case's new rows cover those of its old ones.

Several audit instances write one PostgreSQL database: a group must not be counted by one while another is
writing facts into it, or the kept row misses those facts and the mark that said so is gone. So marking a
group locks its mark row until the facts are committed, and a refresh counts only the marks it can lock
(`SKIP LOCKED`) and deletes only those: a group being written stays stale, to be counted by its writer or
at a question. (SQLite has one writer at a time: the question does not arise.)"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, delete, select, tuple_

from jiesu_audit.queries import departments, rate_tallies, signal_tallies, street_times
from jiesu_audit.readmodel.bulk import execute_many, insert_rows
from jiesu_audit.readmodel.facts import COLUMNS
from jiesu_audit.readmodel.tables import (callbacks, department_periods, offers, rate_periods, signal_periods,
                                          stale_groups, stale_streets, summons, warnings)
from jiesu_audit.readmodel.tables import street_times as street_times_table

PERIODS = ("month", "week", "day")
_OFFER_DEPARTMENT = COLUMNS["audit_offers"].index("department")
_OFFERED = [COLUMNS["audit_offers"].index(f"offered_{p}") for p in PERIODS]
_SUMMONS_DEPARTMENT = COLUMNS["audit_summons"].index("department")
_BLOWN = [COLUMNS["audit_summons"].index(f"blown_{p}") for p in PERIODS]
_WARNING_DEPARTMENT = COLUMNS["audit_warnings"].index("department")
_WARNED = [COLUMNS["audit_warnings"].index(f"warned_{p}") for p in PERIODS]
_OFFER_STREET = COLUMNS["audit_offers"].index("street_key")
_CALLBACK_DEPARTMENT = COLUMNS["audit_callbacks"].index("lead_department")
_RECORDED = COLUMNS["audit_callbacks"].index("recorded_month")


class Kept(NamedTuple):
    """A table of tallies per (period kind, department, period), and how they are counted from the facts."""
    table: Table
    # some groups' tallies; the dict is shared by the counts of one refresh (what one pass found for another)
    count: Callable[[Connection, str, set[tuple[str, str]], dict[str, Any]], dict[tuple[str, str], Any]]
    kept: Callable[[Any], str]  # a tally as the table keeps it
    facts: Callable[[str], list[tuple[Any, Any]]]  # the (department, period) columns of its facts, per period kind
    kinds: tuple[str, ...] = PERIODS  # the period kinds it keeps


KEPT = (
    Kept(department_periods, departments.counted, departments.kept, lambda p: [
        (offers.c.department, offers.c[f"offered_{p}"]), (summons.c.department, summons.c[f"blown_{p}"])]),
    Kept(signal_periods, signal_tallies.counted, signal_tallies.kept, lambda p: [
        (offers.c.department, offers.c[f"offered_{p}"]), (warnings.c.department, warnings.c[f"warned_{p}"])]),
    Kept(rate_periods, rate_tallies.counted, rate_tallies.kept, lambda p: [
        (offers.c.department, offers.c.offered_month), (callbacks.c.lead_department, callbacks.c.recorded_month)]
        if p == "month" else [], ("month",)),
)


def groups_of(offer_rows: Iterable[tuple], summons_rows: Iterable[tuple], warning_rows: Iterable[tuple],
              callback_rows: Iterable[tuple] = ()) -> set[tuple[str, str, str]]:
    """The groups of fact rows as `facts` builds them (tuples in the order of `facts.COLUMNS`): every offer's
    (the department figures count case tasks only, the deliveries every kind), whistle's, warning's, and the
    month of every call-back about a lead department."""
    found = {("month", row[_CALLBACK_DEPARTMENT], row[_RECORDED]) for row in callback_rows
             if row[_CALLBACK_DEPARTMENT] is not None}
    for rows, department_at, periods_at in ((offer_rows, _OFFER_DEPARTMENT, _OFFERED),
                                            (summons_rows, _SUMMONS_DEPARTMENT, _BLOWN),
                                            (warning_rows, _WARNING_DEPARTMENT, _WARNED)):
        for row in rows:
            department = row[department_at]
            found.update((p, department, row[i]) for p, i in zip(PERIODS, periods_at))
    return found


def streets_of(offer_rows: Iterable[tuple]) -> set[tuple[str, str]]:
    """The (month, street) of every offer with a street: those whose response times may have changed."""
    month = _OFFERED[0]
    return {(row[month], row[_OFFER_STREET]) for row in offer_rows
            if row[_OFFER_STREET] is not None and row[month] is not None}


def mark_stale(conn: Connection, groups: set[tuple[str, str, str]], streets: set[tuple[str, str]] = frozenset()
               ) -> None:
    """Always the department groups before the streets: two writers lock their marks in the same order."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Updated, not skipped, when there: the update is what locks a mark another transaction made.
    if groups:
        execute_many(conn, f"INSERT INTO {stale_groups.name} (period_kind, department, period) "
                           f"VALUES ({marker}, {marker}, {marker}) ON CONFLICT (period_kind, department, period) "
                           f"DO UPDATE SET period = excluded.period", sorted(groups))
    if streets:
        execute_many(conn, f"INSERT INTO {stale_streets.name} (period, street_key) VALUES ({marker}, {marker}) "
                           f"ON CONFLICT (period, street_key) DO UPDATE SET period = excluded.period", sorted(streets))


def refresh(conn: Connection) -> int:
    """Count every stale group afresh and keep its rows; returns how many groups were refreshed."""
    stale: dict[str, set[tuple[str, str]]] = {p: set() for p in PERIODS}
    for kind, department, period in conn.execute(select(stale_groups).with_for_update(skip_locked=True)):
        stale[kind].add((department, period))
    for kind, groups in stale.items():
        if not groups:
            continue
        keys, shared = sorted(groups), {}
        for kept in (k for k in KEPT if kind in k.kinds):
            tallies = kept.count(conn, kind, groups, shared)
            _forget(conn, kept.table, kind, keys)
            insert_rows(conn, kept.table, [{"period_kind": kind, "department": d, "period": p, "tally": kept.kept(t)}
                                           for (d, p), t in sorted(tallies.items())])
        _forget(conn, stale_groups, kind, keys)
    streets = {(m, s) for m, s in conn.execute(select(stale_streets).with_for_update(skip_locked=True))}
    if streets:
        keys = sorted(streets)
        times = street_times.counted(conn, streets)
        street_times.forget(conn, street_times_table, keys)
        insert_rows(conn, street_times_table, street_times.rows_of(times))
        street_times.forget(conn, stale_streets, keys)
    return sum(len(g) for g in stale.values()) + len(streets)


def _forget(conn: Connection, table: Table, kind: str, keys: list[tuple[str, str]]) -> None:
    for start in range(0, len(keys), 300):
        conn.execute(delete(table).where(table.c.period_kind == kind,
                                         tuple_(table.c.department, table.c.period).in_(keys[start:start + 300])))


def adopt(conn: Connection) -> tuple[int, bool]:
    """A read model written before a kept table was added has facts but no rows in it: mark every group its
    facts fall in as stale. Returns how many were marked, and whether to refresh them now: not when the read
    model had stale marks and no kept rows at all (a catch-up cut short, which counts them at its end).
    A mark is idempotent, so a table left empty because its facts are empty is looked at again, cheaply."""
    marked_before = _any(conn, stale_groups)
    catching_up = marked_before and not any(_any(conn, kept.table) for kept in KEPT)
    found: set[tuple[str, str, str]] = set()
    for kept in KEPT:
        if _any(conn, kept.table):
            continue
        for p in PERIODS:
            for department, period in kept.facts(p):
                found.update((p, d, k) for d, k in conn.execute(
                    select(department, period).where(department.is_not(None)).distinct()))
    streets: set[tuple[str, str]] = set()
    if not _any(conn, street_times_table):
        o = offers.c  # the groups with response times (read from ix_audit_offers_response_times): the rest have none
        streets.update((m, s) for m, s in conn.execute(select(o.offered_month, o.street_key).where(
            o.is_lead_case, o.has_accepted_at, o.responded_after.is_not(None), o.street_key.is_not(None),
            o.offered_month.is_not(None)).distinct()))
    mark_stale(conn, found, streets)
    return len(found) + len(streets), bool(found or streets) and not catching_up


def _any(conn: Connection, table: Table) -> bool:
    return conn.execute(select(table.c.period).limit(1)).first() is not None
