"""Offers and call-backs carry their case's street (`street_key`), so that the three rates and the rankings
count a month's rows per street from an index instead of joining each row to its case. A read model written
before they did gets the column and its values from the cases once, at start (the indexes that name it are
made next, by `indexes.settle_indexes`)."""
from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from jiesu_shared.store import Database

from jiesu_audit.readmodel.tables import callbacks, cases, offers

_LOCK = "jiesu.audit.street_keys"


def add_street_keys(database: Database) -> list[str]:
    """Returns the tables that were given the column (none on a fresh or an already current read model)."""
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together: one adds, the others find it
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": _LOCK})
        added = [table.name for table in (offers, callbacks) if _lacks_street_key(conn, table.name)]
        for name in added:
            street = callbacks.c.street_key.type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN street_key {street}"))
            conn.execute(text(f"UPDATE {name} SET street_key = (SELECT c.street_key FROM {cases.name} c "
                              f"WHERE c.case_id = {name}.case_id)"))
    return added


def _lacks_street_key(conn: Connection, table: str) -> bool:
    found = inspect(conn)
    return found.has_table(table) and "street_key" not in {c["name"] for c in found.get_columns(table)}
