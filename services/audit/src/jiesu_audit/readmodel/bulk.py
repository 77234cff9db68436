"""Inserting many rows at once through the driver's own `executemany`: SQLAlchemy's per-row parameter
handling costs more than SQLite's insert itself when a fresh audit catches up on millions of events.
Values go through their column type's bind processor where it has one, so what is stored is what
SQLAlchemy would store (datetimes on SQLite, booleans, binary)."""
from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
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
    values = itemgetter(*[c.name for c in columns])
    params = [values(row) for row in rows] if len(columns) > 1 else [(values(row),) for row in rows]
    converting = [(i, convert) for i, c in enumerate(columns) if (convert := c.type.bind_processor(dialect))]
    if converting:
        params = [_converted(list(p), converting) for p in params]
    execute_many(conn, sql, params)


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rows as tuples in the order of `columns`, their values already what the driver stores as the column
    types would (no bind processing): the fact rows, built so."""
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    execute_many(conn, f"INSERT INTO {preparer.format_table(table)} ({', '.join(map(preparer.quote, columns))}) "
                       f"VALUES ({', '.join([marker] * len(columns))})", rows)


def _converted(values: list[Any], converting: list[tuple[int, Any]]) -> list[Any]:
    for i, convert in converting:
        if values[i] is not None:
            values[i] = convert(values[i])
    return values


def execute_many(conn: Connection, sql: str, params: Sequence[Sequence[Any]]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def select_in(conn: Connection, sql: str, values: Sequence[Any], chunk: int = 500) -> list[tuple]:
    """`sql` with one `IN ({})` filled with a chunk of `values` at a time, through the driver (SQLAlchemy's
    expanding parameters cost more than the lookup when there are thousands of values)."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: list[tuple] = []
    cursor = conn.connection.driver_connection.cursor()
    try:
        for start in range(0, len(values), chunk):
            part = values[start:start + chunk]
            cursor.execute(sql.format(", ".join([marker] * len(part))), part)
            found += cursor.fetchall()
    finally:
        cursor.close()
    return found
