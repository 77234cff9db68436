"""A caught-up audit database widened as `widen` widens its log: each fact row followed by its copies with
every id renamed the same way (the version digit of every UUID; a pickled history keeps its length), so it
holds what audit would have folded from the widened log — without the hours a catch-up of it takes on a
loaded machine. The kept rows (each department's figures, deliveries, warnings and rates per period) are scaled as
counting them from the facts would (each group's facts are there `copies` times: counts times `copies`, a
median and a nearest-rank p90 of a multiset repeated are its own) — counting them afresh at start took longer
than a session on a loaded machine. The timeline (what `/cases/{id}/timeline` reads, not the analytics) and the
idempotency rows are left out; the position is set to the widened log's end.

    python -m jiesu_simulator.bench.widen_audit SOURCE.sqlite3 TARGET.sqlite3 COPIES
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

from jiesu_simulator.bench.widen import copy_of

_KEPT = ("audit_department_periods", "audit_signal_periods", "audit_rate_periods")
# The response times per (month, street) are float sums taken in order, which a repeated multiset does not keep to
# the bit: left out, the audit counts them afresh at start (one ordered pass over the month's times).
_COUNTED_AT_START = ("audit_street_times", "audit_stale_streets")
_LEFT_OUT = {*_KEPT, *_COUNTED_AT_START, "audit_stale_groups", "timeline", "event_store", "outbox",
             "processed_events"}
_BATCH = 5_000


def widen_audit(source: Path, target: Path, copies: int) -> dict[str, int]:
    """Returns the rows written per table."""
    if target.exists():
        raise FileExistsError(target)
    written = {}
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as read, \
            closing(sqlite3.connect(target, isolation_level=None)) as write:
        schema = read.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
        write.execute("PRAGMA journal_mode=OFF")
        write.execute("PRAGMA synchronous=OFF")
        tables = {name for kind, name, _, _ in schema if kind == "table"}
        for kind, _, _, sql in schema:
            if kind == "table":
                write.execute(sql)
        for kind, name, _, _ in schema:
            if kind == "table" and name not in _LEFT_OUT:
                written[name] = _copy_table(read, write, name, copies)
        write.execute("UPDATE audit_positions SET next_offset = next_offset * ?", (copies,))
        for kept in _KEPT:
            if kept in tables:  # a read model from before a table was kept: the audit adopts it at start
                written[kept] = _scaled_kept_rows(read, write, kept, copies)
        for kind, _, _, sql in schema:  # indexes last: built once, not row by row
            if kind == "index":
                write.execute(sql)
        write.execute("PRAGMA journal_mode=WAL")
    return written


def _copy_table(read: sqlite3.Connection, write: sqlite3.Connection, name: str, copies: int) -> int:
    columns = [row[1] for row in read.execute(f'PRAGMA table_info("{name}")')]
    single = name in ("audit_positions", "audit_period_zone")  # the log's position and the zone: one row each
    listed = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT INTO "{name}" ({listed}) VALUES ({", ".join("?" for _ in columns)})'
    autoincrement = "id" in columns and not single
    count = 0
    for copy in range(1 if single else copies):
        write.execute("BEGIN")
        for row in _again(read, name, listed):
            values = [_renamed(v, copy) for v in row]
            if autoincrement:
                values[columns.index("id")] = None  # a new id, in the original order within each copy
            write.execute(insert, values)
            count += 1
        write.execute("COMMIT")
    return count


def _scaled_kept_rows(read: sqlite3.Connection, write: sqlite3.Connection, table: str, copies: int) -> int:
    """Kept rows only where no group is stale (a stale group's row is not the facts' count)."""
    if read.execute("SELECT 1 FROM audit_stale_groups LIMIT 1").fetchone():
        raise ValueError("the source has stale groups: let its audit refresh them first")
    rows = read.execute(f"SELECT period_kind, department, period, tally FROM {table}").fetchall()
    write.execute("BEGIN")
    write.executemany(f"INSERT INTO {table} (period_kind, department, period, tally) VALUES (?, ?, ?, ?)",
                      [(k, d, p, json.dumps(_scaled(json.loads(t), copies))) for k, d, p, t in rows])
    write.execute("COMMIT")
    return len(rows)


def _scaled(value, copies: int):  # type: ignore[no-untyped-def]
    """Every count in a tally times the copies: the three rates' rows are lists ([street, in time, answered],
    [street, outcome, satisfaction, n]) whose names stay (a street or an outcome is not renamed by a copy)."""
    if isinstance(value, list):
        return [_scaled(v, copies) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | dict):
        return value
    if isinstance(value, int):
        return value * copies
    if set(value) == {"count", "median", "p90"}:
        return {**value, "count": value["count"] * copies}
    return {key: _scaled(v, copies) for key, v in value.items()}


def _again(read: sqlite3.Connection, name: str, listed: str):  # type: ignore[no-untyped-def]
    order = " ORDER BY rowid" if _has_rowid(read, name) else ""
    cursor = read.execute(f'SELECT {listed} FROM "{name}"{order}')
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _has_rowid(read: sqlite3.Connection, name: str) -> bool:
    sql = read.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    return "WITHOUT ROWID" not in sql.upper()


def _renamed(value, copy: int):  # type: ignore[no-untyped-def]
    if copy == 0:
        return value
    if isinstance(value, bytes):
        return copy_of(value, copy)
    if isinstance(value, str):
        return copy_of(value.encode(), copy).decode()
    return value


if __name__ == "__main__":
    began = time.monotonic()
    rows = widen_audit(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
    print({"rows": rows, "seconds": round(time.monotonic() - began, 1)})
