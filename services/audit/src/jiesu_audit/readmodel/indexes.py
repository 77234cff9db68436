"""The read model's indexes as `tables` declares them, settled at start: `create_all` makes a missing table's
indexes but never a new index of a table that exists, so a read model written by an older version gets the
indexes added since (built once, which takes a while on a large one), and loses those nothing reads any more
(each costs every rewrite of a case's rows)."""
from __future__ import annotations

from sqlalchemy import text

from jiesu_shared.store import Database
from jiesu_shared.store.indexes import settle_indexes as settle_table_indexes

from jiesu_audit.readmodel.tables import PER_CASE, cases

_LOCK = "jiesu.audit.indexes"
# The verdicts and the returns in case order: the three rates and the hand-over costs are now summed exactly,
# in the database, from indexes by group (see tables.py).
# The cases by subject first: by place first since (tables.py), so that one street's recurring problems are one range.
RETIRED = ("ix_audit_callbacks_month", "ix_audit_returns_case_order", "ix_audit_cases_place", "ix_audit_cases_street")


def settle_indexes(database: Database) -> list[str]:
    """Returns the names of the indexes created (none on a fresh or an already current read model)."""
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one builds, the others find them
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": _LOCK})
        return settle_table_indexes(conn, (cases, *PER_CASE), RETIRED)
