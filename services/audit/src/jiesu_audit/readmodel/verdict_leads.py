"""Each case carries the lead department its last verdict was about (`last_lead_department`), so the outcome
mix can be narrowed to a department. A read model written before it did gets the column at start, filled
from the case's last call-back row (a case's call-backs are written in their order, so its last has the
highest id): the cases are then as a fresh audit writes them."""
from __future__ import annotations

from sqlalchemy import inspect, text

from jiesu_shared.store import Database

from jiesu_audit.readmodel.tables import callbacks, cases

_LOCK = "jiesu.audit.verdict_leads"
ADDED = "last_lead_department"


def add_verdict_leads(database: Database) -> bool:
    """Returns whether the column was added (not on a fresh or an already current read model)."""
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one adds, the others find it
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": _LOCK})
        found = inspect(conn)
        if not found.has_table(cases.name) or ADDED in {c["name"] for c in found.get_columns(cases.name)}:
            return False
        kind = cases.c[ADDED].type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {cases.name} ADD COLUMN {ADDED} {kind}"))
        conn.execute(text(f"UPDATE {cases.name} SET {ADDED} = (SELECT cb.lead_department FROM {callbacks.name} cb "
                          f"WHERE cb.id = (SELECT max(mine.id) FROM {callbacks.name} mine "
                          f"WHERE mine.case_id = {cases.name}.case_id)) WHERE last_outcome IS NOT NULL"))
        return True
