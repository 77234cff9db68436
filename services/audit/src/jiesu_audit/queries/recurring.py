"""The same subject at the same place within a window (未诉先办): the most cases any window holds, ranked.

Each (category, place) group's arrival times are read as one string (one group at a time) and its densest
window found with numpy; the cases of a window are read only for the problems asked for (a page)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, String, cast, func, select

from jiesu_audit.queries.common import code_point_order
from jiesu_audit.readmodel.tables import cases

LEVELS = {"street": ("district", "street"), "community": ("district", "street", "community"),
          "grid": ("district", "street", "community", "grid")}
_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Densest:
    """A group's densest window: `cases` cases, the last of them received at `end_us`."""

    category: str
    place: tuple[str, ...]
    cases: int
    end_us: int


def recurring(conn: Connection, *, window_days: int, min_cases: int, level: str) -> list[dict[str, Any]]:
    """Every problem, in ranking order."""
    return recurring_page(conn, window_days=window_days, min_cases=min_cases, level=level, limit=None, offset=0)[0]


def recurring_page(conn: Connection, *, window_days: int, min_cases: int, level: str, limit: int | None,
                   offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the ranking and how many problems there are: only the page's cases are read."""
    found = densest_windows(conn, window_days=window_days, min_cases=min_cases, level=level)
    page = found[offset:] if limit is None else found[offset:offset + limit]
    return [problem(conn, group, window_days, level) for group in page], len(found)


def densest_windows(conn: Connection, *, window_days: int, min_cases: int, level: str) -> list[Densest]:
    """Every group whose densest window holds at least `min_cases` cases, most cases first."""
    places = [cases.c[name] for name in LEVELS[level]]
    keys = [cases.c.category, *places]
    # One row a group, its arrival times joined into one string (parsed by numpy): a million times cost one
    # pass in the database, not a million rows through Python.
    times = func.aggregate_strings(cast(cases.c.received_us, String), ",")
    groups = conn.execute(select(*keys, times).where(cases.c.received_us.is_not(None), *_named(keys))
                          .group_by(*keys)).yield_per(10)
    found = []
    for category, *place, joined in groups:
        count, end_us = _densest(np.sort(np.array(joined.split(","), dtype=np.int64)), window_days * _DAY_US)
        if count >= min_cases:
            found.append(Densest(category, tuple(place), count, end_us))
    found.sort(key=lambda g: (-g.cases, g.category, g.place))
    return found


def _densest(times: np.ndarray, window_us: int) -> tuple[int, int]:
    """(cases, time of the last) of the first window ending at a case that holds the most cases received at
    most `window_us` before it; in (time, case id) order, ties in time counted up to the case itself."""
    first = np.searchsorted(times, times - window_us, side="left")
    held = np.arange(len(times)) - first + 1
    end = int(np.argmax(held))  # the first of the largest
    return int(held[end]), int(times[end])


def problem(conn: Connection, group: Densest, window_days: int, level: str) -> dict[str, Any]:
    """The window's cases in (time, case id) order: the first `cases` received from `window` before its end."""
    rows = conn.execute(select(cases.c.case_id, cases.c.received_at)
                        .where(*_in_group(level, group.category, group.place),
                               cases.c.received_us >= group.end_us - window_days * _DAY_US,
                               cases.c.received_us <= group.end_us)
                        .order_by(cases.c.received_us, code_point_order(conn, cases.c.case_id))
                        .limit(group.cases)).all()
    return {"category": group.category, "place": dict(zip(LEVELS[level], group.place)), "cases": group.cases,
            "case_ids": [case_id for case_id, _ in rows],
            "first_received": rows[0][1] if rows else None, "last_received": rows[-1][1] if rows else None}


def _named(columns: list) -> list:  # type: ignore[type-arg]
    return [condition for c in columns for condition in (c.is_not(None), c != "")]


def _in_group(level: str, category: str, place) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [cases.c.category == category, *(cases.c[name] == value for name, value in zip(LEVELS[level], place))]

