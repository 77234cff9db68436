"""Who returned cases to whom (edges), ping-pong chains (A→B→A) and cases that needed several departments;
the two lists of cases are paged: they grow with the log."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, func, literal_column, or_, select

from jiesu_audit.domain.times import median
from jiesu_audit.queries.common import code_point_order, page, within
from jiesu_audit.readmodel.tables import EDGE_COST, cases, returns


def edges(conn: Connection, department: str | None = None, *, period: str = "month", first: str | None = None,
          last: str | None = None) -> list[dict[str, Any]]:
    """Each edge's returns, total cost and median cost, grouped in the database; `first`..`last` (keys of
    `period`): only the returns made within those periods. The total is exact: the costs are whole
    microseconds (differences of event times), summed as integers and divided once, so it does not depend on
    the order the returns are added in (a float sum would, in its last bits)."""
    when = within(returns.c[f"returned_{period}"], first, last)
    where = [returns.c.to_department.is_not(None), *when]
    if department is not None:
        where.append(or_(returns.c.from_department == department, returns.c.to_department == department))
    keys = [returns.c.from_department, returns.c.to_department]
    # A missing cost (none is expected on an edge) adds nothing, as its 0 in the median's order does.
    micros = func.sum(cast(func.round(returns.c.cost_seconds * literal_column("1000000")), BigInteger))
    tallies = conn.execute(select(*keys, func.count(), micros).where(*where).group_by(*keys)).all()
    return [{"from": a, "to": b, "returns": int(n), "total_cost_seconds": int(total or 0) / 1_000_000,
             "median_cost_seconds": _median_cost(conn, a, b, int(n), when)} for a, b, n, total in sorted(tallies)]


def _median_cost(conn: Connection, source: str, target: str, n: int, when: list) -> float | None:
    """The middle one or two of an edge's costs: over all time read at their rank from the index in cost order;
    within periods, from the edge's range of the period's index (sorted: an edge's returns in a few periods)."""
    middle = conn.execute(select(EDGE_COST).where(returns.c.from_department == source,
                                                  returns.c.to_department == target, *when)
                          .order_by(EDGE_COST).limit(2 - n % 2).offset((n - 1) // 2)).scalars().all()
    return median([float(cost) for cost in middle])


def ping_pong(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    where = cases.c.bounces > literal_column("0")  # a literal: the partial index names this very condition
    total = conn.execute(select(func.count()).where(where)).scalar_one()
    rows = conn.execute(select(cases.c.case_id, cases.c.chain, cases.c.bounces).where(where)
                        .order_by(code_point_order(conn, cases.c.case_id)).limit(limit).offset(offset))
    return [{"case_id": c, "chain": json.loads(chain), "bounces": b} for c, chain, b in rows], total


def multi_department(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    where = cases.c.departments.is_not(None)
    total = conn.execute(select(func.count()).where(where)).scalar_one()
    rows = conn.execute(select(cases.c.case_id, cases.c.departments, cases.c.slowest_department,
                               cases.c.slowest_seconds, cases.c.still_open).where(where)
                        .order_by(func.coalesce(cases.c.slowest_seconds, literal_column("0.0")).desc(),
                                  code_point_order(conn, cases.c.case_id)).limit(limit).offset(offset))
    return [{"case_id": c, "departments": json.loads(d), "slowest_department": s, "slowest_seconds": seconds,
             "still_open": bool(still)} for c, d, s, seconds, still in rows], total


def network(conn: Connection, limit: int, offset: int, *, period: str = "month", first: str | None = None,
            last: str | None = None) -> dict[str, Any]:
    """The edges of the returns made within `first`..`last` (all if neither); the two lists of cases are
    the cases' own, whatever the periods."""
    chains, chains_total = ping_pong(conn, limit, offset)
    multi, multi_total = multi_department(conn, limit, offset)
    return {"edges": edges(conn, period=period, first=first, last=last), "ping_pong": chains,
            "multi_department_cases": multi,
            "pages": {"ping_pong": page(chains_total, limit, offset),
                      "multi_department_cases": page(multi_total, limit, offset)}}
