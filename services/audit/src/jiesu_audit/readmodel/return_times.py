"""Returns carry when they were made (`returned_us` and its month, week and day), so the hand-over edges can
be asked for within periods. A read model written before they did gets the columns at start, and the return
rows of every case that has any are written again from the case's stored history (the time is in no other
table), a few thousand cases at a time: the rows are then those a fresh audit writes. The period keys are
counted in the read model's recorded zone (`period_zone.settle_period_zone` runs first)."""
from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from jiesu_shared.store import Database

from jiesu_audit.readmodel import facts
from jiesu_audit.readmodel.bulk import execute_many, insert_tuples, select_in
from jiesu_audit.readmodel.tables import returns

_LOCK = "jiesu.audit.return_times"
_CHUNK = 2_000  # cases whose histories are loaded and whose return rows are written together
ADDED = ("returned_us", "returned_month", "returned_week", "returned_day")


def add_return_times(database: Database) -> int | None:
    """Returns how many cases' return rows were written again; None on a fresh or an already current read
    model (nothing to do)."""
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one adds, the others find it
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": _LOCK})
        found = inspect(conn)
        if not found.has_table(returns.name) or ADDED[0] in {c["name"] for c in found.get_columns(returns.name)}:
            return None
        for name in ADDED:
            kind = returns.c[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {returns.name} ADD COLUMN {name} {kind}"))
        return _rewrite_returns(conn)


def _rewrite_returns(conn: Connection) -> int:
    """Case by case in case-id order (a keyset: memory stays flat however many cases returned something)."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    rewritten, after = 0, ""
    while True:
        ids = list(conn.execute(text(f"SELECT DISTINCT case_id FROM {returns.name} WHERE case_id > :after "
                                     "ORDER BY case_id LIMIT :n"), {"after": after, "n": _CHUNK}).scalars())
        if not ids:
            return rewritten
        states = select_in(conn, "SELECT case_id, state FROM audit_cases WHERE case_id IN ({})", ids)
        found = [case_id for case_id, _ in states]
        for start in range(0, len(found), 500):
            part = found[start:start + 500]
            execute_many(conn, f"DELETE FROM {returns.name} WHERE case_id IN ({', '.join([marker] * len(part))})",
                         [part])
        rows = [row for _, state in states for row in facts.return_rows(facts.load_state(state))]
        insert_tuples(conn, returns, facts.COLUMNS[returns.name], rows)
        rewritten += len(found)
        after = ids[-1]
