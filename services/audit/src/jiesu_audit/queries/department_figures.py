"""One department's own figures for a month: its three rates (三率) as the monthly ranking computes them, and
its median times to decide, to first contact and to complete. Composed from the existing queries on one
read connection, so both halves describe the same moment and match the staff's analytics exactly."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from jiesu_audit.queries import departments, rates
from jiesu_audit.queries.common import no_spread

TIMES = ("time_to_decide_seconds", "time_to_respond_seconds", "time_to_complete_seconds")
COUNTS = ("offers", "accepted", "returned")


def department_figures(conn: Connection, config: dict[str, Any], *, department: str, month: str,
                       as_of: datetime) -> dict[str, Any]:
    """Zeros and nulls, not an error, for a month in which the department had nothing to do."""
    ranking = rates.three_rates(conn, config, month=month, as_of=as_of)
    rated = next((r for r in ranking["departments"] if r["department"] == department), None)
    row = next(iter(departments.department_rows(conn, period="month", as_of=as_of, first=month, last=month,
                                                department=department)), None)
    return {"department": department, "month": month, "three_rates": _rates(rated, ranking),
            **{name: row[name] if row else 0 for name in COUNTS},
            **{name: row[name] if row else no_spread() for name in TIMES}}


def _rates(rated: dict[str, Any] | None, ranking: dict[str, Any]) -> dict[str, Any]:
    """The department's row of the ranking, with how many departments were ranked: its place, never theirs."""
    ranked = sum(1 for r in ranking["departments"] if r["rank"] is not None)
    if rated is None:
        rated = {f"{r}_rate": None for r in rates.RATES} | {"counted": dict.fromkeys(rates.RATES, 0),
                                                            "composite": None, "rank": None}
    return {key: value for key, value in rated.items() if key != "department"} | {
        "ranked": ranked, "weights": ranking["weights"]}
