"""Inserting many rows at once through the driver's own `executemany`: SQLAlchemy's per-row parameter
handling costs more than SQLite's insert itself when a fresh audit catches up on millions of events.
Each value still goes through its column type's bind processor, so what is stored is what SQLAlchemy
would store (datetimes on SQLite, booleans, binary)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = conn.dialect
    columns = [c for c in table.columns if c.name in rows[0]]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) " \
          f"VALUES ({', '.join([marker] * len(columns))})"
    processors = [(c.name, c.type.bind_processor(dialect)) for c in columns]
    params = [tuple(row[name] if convert is None or row[name] is None else convert(row[name])
                    for name, convert in processors) for row in rows]
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()
