"""The read model's indexes as `tables` declares them, settled at start: `create_all` makes a missing table's
indexes but never a new index of a table that exists, so a read model written by an older version gets the
indexes added since (built once, which takes a while on a large one), and loses those nothing reads any more
(each costs every rewrite of a case's rows)."""
from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from jiesu_shared.store import Database

from jiesu_audit.readmodel.tables import PER_CASE, cases

_LOCK = "jiesu.audit.indexes"
# The verdicts and the returns in case order: the three rates and the hand-over costs are now summed exactly,
# in the database, from indexes by group (see tables.py).
RETIRED = ("ix_audit_callbacks_month", "ix_audit_returns_case_order")


def settle_indexes(database: Database) -> list[str]:
    """Returns the names of the indexes created (none on a fresh or an already current read model)."""
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one builds, the others find them
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": _LOCK})
        for name in RETIRED:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        created = []
        found = inspect(conn)
        for table in (cases, *PER_CASE):
            if not found.has_table(table.name):  # a fresh read model: create_all makes the table with them
                continue
            present = _index_names(conn, table.name)
            for index in table.indexes:
                if index.name not in present and for_this_database(index, conn.dialect.name):
                    index.create(conn)
                    created.append(index.name)
    return created


def _index_names(conn: Connection, table: str) -> set[str]:
    """From the catalogue itself: SQLAlchemy's inspector leaves out indexes on an expression."""
    query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t" if conn.dialect.name == "sqlite"
             else "SELECT indexname FROM pg_indexes WHERE tablename = :t AND schemaname = current_schema()")
    return set(conn.execute(text(query), {"t": table}).scalars())


def for_this_database(index, dialect: str) -> bool:  # type: ignore[no-untyped-def]
    """An index declared for one dialect only (`ddl_if`) is not missing on another."""
    condition = getattr(index, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)
