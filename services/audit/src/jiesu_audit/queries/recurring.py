"""The same subject at the same place within a window (未诉先办): the most cases any window holds, ranked.

Each (category, place) group's arrival times are read as one string (one group at a time) and its densest
window found with numpy; the cases of a window are read only for the problems asked for (a page), and only a
page of them: a window can hold thousands (`problem_cases` pages on through one problem's). numpy is imported
when first asked for: ~20 MiB that an audit catching up on the log has no use for."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import CompoundSelect, Connection, Select, String, bindparam, cast, func, or_, select, union

from jiesu_audit.readmodel.tables import cases

if TYPE_CHECKING:
    import numpy as np

LEVELS = {"street": ("district", "street"), "community": ("district", "street", "community"),
          "grid": ("district", "street", "community", "grid")}
_DAY_US = 86_400_000_000
_INDEX_ORDER = ("district", "street", "category", "community", "grid")  # ix_audit_cases_by_place's (tables.py)


@dataclass(frozen=True)
class Part:
    """Where a page of a window's cases lies in time: `count` cases received from `low_us` to `high_us`, after
    `skip` others received at `low_us` too (in case id order)."""

    low_us: int
    high_us: int
    skip: int
    count: int


@dataclass(frozen=True)
class Densest:
    """A group's densest window: `cases` cases received from `start_us` to `end_us`; the last of them is the
    one after `ties` others received at `end_us` too (in case id order). `part`: the page of them asked for."""

    category: str
    place: tuple[str, ...]
    cases: int
    start_us: int
    end_us: int
    ties: int
    part: Part
    grids: tuple[str, ...] | None = None  # a community's: the grids its cases lie in, if known (see `problem`)


def recurring(conn: Connection, *, window_days: int, min_cases: int, level: str) -> list[dict[str, Any]]:
    """Every problem, in ranking order, each with all its cases."""
    return recurring_page(conn, window_days=window_days, min_cases=min_cases, level=level, limit=None, offset=0,
                          case_limit=None)[0]


def recurring_page(conn: Connection, *, window_days: int, min_cases: int, level: str, limit: int | None,
                   offset: int, case_limit: int | None, within: tuple[str, ...] = ()) -> tuple[list[dict[str, Any]], int]:
    """One page of the ranking and how many problems there are; each problem lists its first `case_limit`
    cases (all if None): only those are read. `within`: only the problems in this district (and street)."""
    found = densest_windows(conn, window_days=window_days, min_cases=min_cases, level=level, case_limit=case_limit,
                            within=within)
    page = found[offset:] if limit is None else found[offset:offset + limit]
    return [problem(conn, group, level) for group in page], len(found)


def problem_cases(conn: Connection, *, category: str, place: tuple[str, ...], window_days: int, level: str,
                  limit: int, offset: int) -> dict[str, Any] | None:
    """One group's densest window with a page of its cases; None if no case of the group was received."""
    where = _in_group(level, category, place)
    joined = conn.execute(select(_joined_times(conn)).where(cases.c.received_us.is_not(None), *where)).scalar()
    if joined is None:
        return None
    return problem(conn, _densest(category, place, _times(joined), window_days * _DAY_US, offset, limit), level)


def densest_windows(conn: Connection, *, window_days: int, min_cases: int, level: str,
                    case_limit: int | None = None, within: tuple[str, ...] = ()) -> list[Densest]:
    """Every group whose densest window holds at least `min_cases` cases, most cases first; each with its first
    `case_limit` cases as its part (all if None). `within`: (district,) or (district, street) to look in."""
    width = 1 + len(LEVELS[level])
    # On SQLite a community's times are read a grid at a time, in the index's order (so that a community's grids
    # come together), to know which grids `problem` seeks its cases in (see `_window_rows`). Not on PostgreSQL:
    # its index holds the street and subject only, and sorting every case to group them so took 4x its hash
    # aggregate of the communities (100,000 cases: 1,086 ms against 246).
    by_grid = level == "community" and conn.dialect.name == "sqlite"
    keys = [cases.c.category, *(cases.c[name] for name in LEVELS["grid" if by_grid else level])]
    in_order = [cases.c[name] for name in _INDEX_ORDER[:len(keys)]] if by_grid else keys
    inside = [cases.c[name] == value for name, value in zip(("district", "street"), within)]
    # One row a group, its arrival times joined into one string (parsed by numpy): a million times cost one
    # pass in the database, not a million rows through Python. A group with a name missing (NULL or empty: a group
    # of its own) or no time (left out of the string) is passed over here, not tested for row by row in the
    # database: the test took ~30 % of the pass.
    statement = select(*keys, _joined_times(conn)).where(*inside).group_by(*in_order)
    rows = conn.execute(statement.order_by(*in_order) if by_grid else statement).yield_per(50)
    found = []
    for (category, *place), parts in groupby(rows, key=itemgetter(*range(width))):
        named = [(row[width:-1], row[-1]) for row in parts if row[-1] is not None]
        if not named or not (category and all(place)):
            continue
        grids = tuple(below[0] for below, _ in named) if by_grid else None
        group = _densest(category, tuple(place), _times(",".join(joined for _, joined in named)),
                         window_days * _DAY_US, 0, case_limit, grids if grids and None not in grids else None)
        if group.cases >= min_cases:
            found.append(group)
    found.sort(key=lambda g: (-g.cases, g.category, g.place))
    return found


def _joined_times(conn: Connection):  # type: ignore[no-untyped-def]
    """SQLite joins whole numbers as their digits; PostgreSQL's string_agg takes text only."""
    at = cases.c.received_us
    return func.aggregate_strings(cast(at, String) if conn.dialect.name == "postgresql" else at, ",")


def _times(joined: str) -> np.ndarray:
    import numpy as np

    return np.sort(np.fromstring(joined, dtype=np.int64, sep=","))  # exact: parsed as integers


def _densest(category: str, place: tuple[str, ...], times: np.ndarray, window_us: int, offset: int,
             limit: int | None, grids: tuple[str, ...] | None = None) -> Densest:
    """The first window ending at a case that holds the most cases received at most `window_us` before it;
    in (time, case id) order, ties in time counted up to the case itself."""
    import numpy as np

    first = np.searchsorted(times, times - window_us, side="left")
    held = np.arange(len(times)) - first + 1
    end = int(np.argmax(held))  # the first of the largest
    cases_held, start = int(held[end]), int(first[end])
    ties = end - int(np.searchsorted(times, times[end], side="left"))
    count = max(0, cases_held - offset if limit is None else min(limit, cases_held - offset))
    low, high = (int(times[start + offset]), int(times[start + offset + count - 1])) if count else (0, 0)
    part = Part(low, high, start + offset - int(np.searchsorted(times, low, side="left")) if count else 0, count)
    return Densest(category, place, cases_held, int(times[start]), int(times[end]), ties, part, grids)


def problem(conn: Connection, group: Densest, level: str) -> dict[str, Any]:
    """The window's part and its ends, in (time, case id) order, from one read of the few rows at those times
    (the place's index gives them in no useful order below its level: sorted here, by a key compared in C: rows
    compared as rows cost as much as the rest of a page of problems)."""
    part, grids = group.part, group.grids
    rows = sorted(conn.execute(_window_rows(level, grids is not None), {
        "category": group.category, **dict(zip(LEVELS[level], group.place)), "low": part.low_us,
        "high": part.high_us, "start": group.start_us, "end": group.end_us, **({"grids": grids} if grids else {})}),
        key=_TIME_AND_ID)
    listed = [case_id for us, case_id, _ in rows if part.low_us <= us <= part.high_us]
    at_start = [received for us, _, received in rows if us == group.start_us]
    at_end = [received for us, _, received in rows if us == group.end_us]
    return {"category": group.category, "place": dict(zip(LEVELS[level], group.place)), "cases": group.cases,
            "case_ids": listed[part.skip:part.skip + part.count] if part.count else [],
            "first_received": at_start[0], "last_received": at_end[group.ties]}


_TIME_AND_ID = itemgetter(0, 1)


@cache
def _window_rows(level: str, in_grids: bool) -> Select | CompoundSelect:  # type: ignore[type-arg]
    """A group's cases received within a part of a window or at its ends; built once per level (a page of problems
    asks it once per problem: building it each time cost more than running it). `in_grids`: a community's, in the
    grids named: the index (place, then time) is then sought at those times in each grid, where a community alone
    was scanned through for them (at 1,000,000 cases, a page of problems scanned every case)."""
    at, columns = cases.c.received_us, (cases.c.received_us, cases.c.case_id, cases.c.received_at)
    group = [cases.c.category == bindparam("category"), *(cases.c[name] == bindparam(name) for name in LEVELS[level])]
    within_part = at.between(bindparam("low"), bindparam("high"))
    at_ends = at.in_([bindparam("start"), bindparam("end")])
    if not in_grids:
        return select(*columns).where(*group, or_(within_part, at_ends))
    # Two reads, each a range of the index in each grid (as one, the `OR` of the two left each grid scanned)
    group.append(cases.c.grid.in_(bindparam("grids", expanding=True)))
    return union(select(*columns).where(*group, within_part), select(*columns).where(*group, at_ends))


def _in_group(level: str, category: str, place) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [cases.c.category == category, *(cases.c[name] == value for name, value in zip(LEVELS[level], place))]

