"""Keeping each department's figures per period (`audit_department_periods`) current: rewriting a case's
facts marks the (period kind, department, period) groups its offers and whistles fall in as stale, in the
same transaction; `refresh` counts the stale groups afresh and keeps their rows. An offer or a whistle
never leaves its department and period, so the groups of a case's new rows cover those of its old ones.

Several audit instances write one PostgreSQL database: a group must not be counted by one while another is
writing facts into it, or the kept row misses those facts and the mark that said so is gone. So marking a
group locks its mark row until the facts are committed, and a refresh counts only the marks it can lock
(`SKIP LOCKED`) and deletes only those: a group being written stays stale, to be counted by its writer or
at a question. (SQLite has one writer at a time: the question does not arise.)"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select, tuple_

from jiesu_audit.queries.departments import counted, kept
from jiesu_audit.readmodel.bulk import execute_many, insert_rows
from jiesu_audit.readmodel.facts import COLUMNS
from jiesu_audit.readmodel.tables import department_periods, offers, stale_groups, summons

PERIODS = ("month", "week", "day")
_OFFER_KIND, _OFFER_DEPARTMENT = COLUMNS["audit_offers"].index("kind"), COLUMNS["audit_offers"].index("department")
_OFFERED = [COLUMNS["audit_offers"].index(f"offered_{p}") for p in PERIODS]
_SUMMONS_DEPARTMENT = COLUMNS["audit_summons"].index("department")
_BLOWN = [COLUMNS["audit_summons"].index(f"blown_{p}") for p in PERIODS]


def groups_of(offer_rows: Iterable[tuple], summons_rows: Iterable[tuple]) -> set[tuple[str, str, str]]:
    """The groups of fact rows as `facts` builds them (tuples in the order of `facts.COLUMNS`)."""
    found = set()
    for row in offer_rows:
        if row[_OFFER_KIND] == "case":  # the department figures count case tasks only (their breaches too)
            department = row[_OFFER_DEPARTMENT]
            found.update((p, department, row[i]) for p, i in zip(PERIODS, _OFFERED))
    for row in summons_rows:
        department = row[_SUMMONS_DEPARTMENT]
        found.update((p, department, row[i]) for p, i in zip(PERIODS, _BLOWN))
    return found


def mark_stale(conn: Connection, groups: set[tuple[str, str, str]]) -> None:
    if not groups:
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Updated, not skipped, when there: the update is what locks a mark another transaction made.
    execute_many(conn, f"INSERT INTO {stale_groups.name} (period_kind, department, period) "
                       f"VALUES ({marker}, {marker}, {marker}) ON CONFLICT (period_kind, department, period) "
                       f"DO UPDATE SET period = excluded.period", sorted(groups))


def refresh(conn: Connection) -> int:
    """Count every stale group afresh and keep its row; returns how many groups were refreshed."""
    stale: dict[str, set[tuple[str, str]]] = {p: set() for p in PERIODS}
    for kind, department, period in conn.execute(select(stale_groups).with_for_update(skip_locked=True)):
        stale[kind].add((department, period))
    for kind, groups in stale.items():
        if not groups:
            continue
        tallies = counted(conn, kind, groups)
        keys = sorted(groups)
        for start in range(0, len(keys), 300):
            chunk = keys[start:start + 300]
            for table in (department_periods, stale_groups):
                conn.execute(delete(table).where(table.c.period_kind == kind,
                                                 tuple_(table.c.department, table.c.period).in_(chunk)))
        insert_rows(conn, department_periods, [{"period_kind": kind, "department": d, "period": p, "tally": kept(t)}
                                               for (d, p), t in sorted(tallies.items())])
    return sum(len(g) for g in stale.values())


def adopt(conn: Connection) -> int:
    """A read model written before department rows were kept has facts but neither rows nor stale marks:
    mark every group its facts fall in as stale (then `refresh` counts them). Returns how many were marked."""
    if conn.execute(select(department_periods.c.period).limit(1)).first() is not None or \
            conn.execute(select(stale_groups.c.period).limit(1)).first() is not None:
        return 0
    found: set[tuple[str, str, str]] = set()
    for p in PERIODS:
        found.update((p, d, k) for d, k in conn.execute(
            select(offers.c.department, offers.c[f"offered_{p}"]).where(offers.c.kind == "case").distinct()))
        found.update((p, d, k) for d, k in conn.execute(
            select(summons.c.department, summons.c[f"blown_{p}"]).distinct()))
    mark_stale(conn, found)
    return len(found)
