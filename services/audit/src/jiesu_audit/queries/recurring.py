"""The same subject at the same place within a window (未诉先办): the most cases any window holds, ranked.

The cases are read group by group in the database's order, so only one group is held at a time."""
from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from jiesu_audit.readmodel.tables import cases

LEVELS = {"street": ("district", "street"), "community": ("district", "street", "community"),
          "grid": ("district", "street", "community", "grid")}
_DAY_US = 86_400_000_000


def recurring(conn: Connection, *, window_days: int, min_cases: int, level: str) -> list[dict[str, Any]]:
    places = [cases.c[name] for name in LEVELS[level]]
    keys = [cases.c.category, *places]
    rows = conn.execute(select(*keys, cases.c.received_us, cases.c.case_id, cases.c.received_at)
                        .where(cases.c.received_us.is_not(None), cases.c.category.is_not(None),
                               cases.c.category != "", *(p.is_not(None) for p in places), *(p != "" for p in places))
                        .order_by(*keys)).yield_per(5000)
    width = len(keys)
    found = []
    for group, members in groupby(rows, key=lambda r: tuple(r[:width])):
        ordered = sorted((r.received_us, r.case_id, r.received_at) for r in members)
        best = _densest_window(ordered, window_days * _DAY_US)
        if len(best) >= min_cases:
            found.append({"category": group[0], "place": dict(zip(LEVELS[level], group[1:])), "cases": len(best),
                          "case_ids": [c for _, c, _ in best], "first_received": best[0][2],
                          "last_received": best[-1][2]})
    found.sort(key=lambda r: (-r["cases"], r["category"], tuple(r["place"].values())))
    return found


def _densest_window(cases_: list[tuple[int, str, str]], window_us: int) -> list[tuple[int, str, str]]:
    best, start = cases_[:1], 0
    for end in range(len(cases_)):
        while cases_[end][0] - cases_[start][0] > window_us:
            start += 1
        if end - start + 1 > len(best):
            best = cases_[start:end + 1]
    return best
