"""What the queries share: medians and p90s (in the database, or from rows read in group order), filters, and paging."""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from functools import partial
from itertools import groupby, islice
from operator import is_not, itemgetter
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, case, func, or_, select

from jiesu_audit.domain.times import median

_present = partial(is_not, None)


def spreads(conn: Connection, keys: Sequence[ColumnElement], value: ColumnElement,
            where: Sequence[ColumnElement]) -> dict[tuple, dict[str, Any]]:
    """{key: {"count", "median", "p90"}} of `value` per group, with `times.median` and `times.p90`'s
    definitions (the mean of the middle two; nearest rank ceil(0.9·n)); only the ranks that matter leave
    the database, so memory stays flat however many values a group has."""
    ranked = select(*keys, value.label("v"),
                    _over("row_number", keys, value).label("rn"), _over("count", keys, None).label("n")
                    ).where(value.is_not(None), *where).subquery()
    n, rn = ranked.c.n, ranked.c.rn
    rows = conn.execute(select(ranked).where(or_(rn == (n + 1) // 2, rn == n // 2 + 1, rn == (9 * n + 9) // 10)))
    picked: dict[tuple, dict[int, float]] = {}
    counts: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row[:len(keys)])
        picked.setdefault(key, {})[row.rn] = float(row.v)
        counts[key] = row.n
    return {key: _spread(counts[key], ranks) for key, ranks in picked.items()}


def spreads_together(conn: Connection, keys: Sequence[ColumnElement], values: Sequence[ColumnElement],
                     where: Sequence[ColumnElement]) -> list[dict[tuple, dict[str, Any]]]:
    """`spreads` of several columns of the same rows at once, per column: one pass over the rows in group order
    (a window per column in the database sorted the rows once per column: most of counting every department's
    figures at a catch-up's end). Only one group's values are held at a time, as 8-byte floats: a department's
    month at a million cases holds hundreds of thousands of rows, which as row objects took ~150 MiB more."""
    width = len(keys)
    found: list[dict[tuple, dict[str, Any]]] = [{} for _ in values]
    rows = conn.execute(select(*keys, *values).where(*where).order_by(*keys).execution_options(yield_per=5_000))
    for key, group in groupby(rows, key=itemgetter(*range(width))):
        columns = [array("d") for _ in values]
        while chunk := list(islice(group, 5_000)):  # transposed a chunk at a time, in C
            for column, part in zip(columns, zip(*[row[width:] for row in chunk])):
                column.extend(filter(_present, part))
        for column, spread_of in zip(columns, found):
            if column:
                n, present = len(column), sorted(column)
                spread_of[key if width > 1 else (key,)] = _spread(n, {
                    rank: present[rank - 1] for rank in ((n + 1) // 2, n // 2 + 1, (9 * n + 9) // 10)})
    return found


def _over(name: str, keys: Sequence[ColumnElement], order: ColumnElement | None):  # type: ignore[no-untyped-def]
    function = func.row_number() if name == "row_number" else func.count()
    return function.over(partition_by=list(keys), order_by=order)


def _spread(n: int, ranks: dict[int, float]) -> dict[str, Any]:
    middle = [ranks[(n + 1) // 2]] if n % 2 else [ranks[n // 2], ranks[n // 2 + 1]]
    return {"count": n, "median": median(middle), "p90": ranks[(9 * n + 9) // 10]}


def count_where(condition) -> Any:  # type: ignore[no-untyped-def]
    """How many rows of a group meet the condition (a SUM of 0s and 1s: the same on SQLite and PostgreSQL)."""
    return func.sum(case((condition, 1), else_=0))


def no_spread() -> dict[str, Any]:
    return {"count": 0, "median": None, "p90": None}


def within(column: Column, first: str | None, last: str | None) -> list[ColumnElement]:
    """Period keys (2026-11, 2026-W47, 2026-11-22) sort as text in time order."""
    return [c for c in (column >= first if first else None, column <= last if last else None) if c is not None]


def code_point_order(conn: Connection, column: ColumnElement) -> ColumnElement:
    """Order as Python orders strings: PostgreSQL's default collation follows the locale, not code points."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def page(total: int, limit: int, offset: int) -> dict[str, int]:
    return {"total": total, "limit": limit, "offset": offset}
