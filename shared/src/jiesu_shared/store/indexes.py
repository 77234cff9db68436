"""A database written by an older version gets the indexes declared since, and loses the retired ones.

`create_all` makes a missing table with its indexes, but never a new index of a table that exists: without this
step a service upgraded in place would keep its old indexes (and the queries written for the new ones would
scan)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table, inspect, text


def settle_indexes(conn: Connection, tables: Iterable[Table], retired: Iterable[str] = ()) -> list[str]:
    """Drop the `retired` index names, create each declared index an existing table lacks; the names created."""
    for name in retired:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    created = []
    found = inspect(conn)
    for table in tables:
        if not found.has_table(table.name):
            continue  # create_all makes it, with its indexes
        present = index_names(conn, table.name)
        for index in table.indexes:
            if index.name not in present and for_this_database(index, conn.dialect.name):
                index.create(conn)
                created.append(index.name)
    return created


def index_names(conn: Connection, table: str) -> set[str]:
    """From the catalogue itself: SQLAlchemy's inspector leaves out indexes on an expression."""
    query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t" if conn.dialect.name == "sqlite"
             else "SELECT indexname FROM pg_indexes WHERE tablename = :t AND schemaname = current_schema()")
    return set(conn.execute(text(query), {"t": table}).scalars())


def for_this_database(index, dialect: str) -> bool:  # type: ignore[no-untyped-def]
    """An index declared for one dialect only (`ddl_if`) is not missing on another."""
    condition = getattr(index, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)
