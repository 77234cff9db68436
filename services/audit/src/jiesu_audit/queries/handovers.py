"""Who returned cases to whom (edges), ping-pong chains (A→B→A) and cases that needed several departments;
the two lists of cases are paged: they grow with the log."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, literal_column, or_, select

from jiesu_audit.queries.common import code_point_order, page, spreads
from jiesu_audit.readmodel.tables import cases, returns


def edges(conn: Connection, department: str | None = None) -> list[dict[str, Any]]:
    where = [returns.c.to_department.is_not(None)]
    if department is not None:
        where.append(or_(returns.c.from_department == department, returns.c.to_department == department))
    keys = [returns.c.from_department, returns.c.to_department]
    cost = func.coalesce(returns.c.cost_seconds, 0.0)
    medians = spreads(conn, keys, cost, where)
    # The total is summed here, in case order, as the folding adds it: a float sum depends on its order.
    totals: dict[tuple[str, str], list[float]] = {}
    rows = conn.execute(select(*keys, cost).where(*where).order_by(code_point_order(conn, returns.c.case_id),
                                                                  returns.c.id)).yield_per(5000)
    for a, b, seconds in rows:
        tally = totals.setdefault((a, b), [0, 0.0])
        tally[0] += 1
        tally[1] += seconds
    return [{"from": a, "to": b, "returns": int(n), "total_cost_seconds": total,
             "median_cost_seconds": medians[(a, b)]["median"]} for (a, b), (n, total) in sorted(totals.items())]


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


def network(conn: Connection, limit: int, offset: int) -> dict[str, Any]:
    chains, chains_total = ping_pong(conn, limit, offset)
    multi, multi_total = multi_department(conn, limit, offset)
    return {"edges": edges(conn), "ping_pong": chains, "multi_department_cases": multi,
            "pages": {"ping_pong": page(chains_total, limit, offset),
                      "multi_department_cases": page(multi_total, limit, offset)}}
