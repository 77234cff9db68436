"""The three rates, the rankings and a department's figures for a month as they were counted from every response
and verdict of the month at each question, before their counts were kept per (month, department) and the response
times per (month, street): the reference the kept rows must answer exactly as (`queries/rates.py`,
`rankings.py` and `department_figures.py` then; the queries verbatim, the presentation the production's)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from jiesu_audit.queries import departments
from jiesu_audit.queries.common import no_spread
from jiesu_audit.queries.confidence import Group, decomposition
from jiesu_audit.queries.department_figures import COUNTS, TIMES, _rates
from jiesu_audit.queries.rankings import DEFAULTS, RESPONSE_TIME, ranked
from jiesu_audit.queries.rates import Scores, _ranked
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.tables import callbacks, offers


def three_rates(conn: Connection, config: dict[str, Any], *, month: str, as_of: datetime) -> dict[str, Any]:
    units, weights = scores_of(conn, config, month, as_of), config["weights"]
    return {"month": month, "weights": weights, "departments": _ranked("department", units["department"], weights),
            "streets": _ranked("street", units["street"], weights)}


def scores_of(conn: Connection, config: dict[str, Any], month: str, as_of: datetime) -> dict[str, dict[str, Scores]]:
    """{"department": {name: Scores}, "street": {street key: Scores}} of the month."""
    outcome_scores, satisfaction_scores = config["resolution"]["outcome_scores"], config["satisfaction"]["scores"]
    departments: dict[str, Scores] = defaultdict(Scores)
    streets: dict[str, Scores] = defaultdict(Scores)

    def add(department: str, street: str | None, rate: str, score: float | None, times: int) -> None:
        departments[department].add(rate, score, times)
        if street:
            streets[street].add(rate, score, times)

    for department, street, on_time, n in response_counts(conn, month, micros(as_of)):
        add(department, street, "response", 1.0, int(on_time))
        add(department, street, "response", 0.0, int(n - on_time))
    for department, street, outcome, satisfaction, n in verdict_counts(conn, month):
        add(department, street, "resolution", outcome_scores.get(outcome), n)
        add(department, street, "satisfaction", satisfaction_scores.get(satisfaction or ""), n)
    return {"department": departments, "street": streets}


def response_counts(conn: Connection, month: str, as_of_us: int | None):  # type: ignore[no-untyped-def]
    """Per (department, street), of the accepted lead case tasks offered in the month with a response deadline
    that were responded to or are overdue: how many were responded to in time, and how many there are."""
    o = offers.c
    on_time = case((o.responded_us <= o.respond_by_us, 1), else_=0)
    return conn.execute(select(o.department, o.street_key, func.sum(on_time), func.count())
                        .where(o.is_lead_case, o.has_accepted_at, o.offered_month == month,
                               o.respond_by_us.is_not(None), o.responded_us.is_not(None) | (o.respond_by_us < as_of_us))
                        .group_by(o.department, o.street_key)).all()


def verdict_counts(conn: Connection, month: str):  # type: ignore[no-untyped-def]
    """Per (lead department, street), the month's call-backs with a lead department, by (outcome, satisfaction)."""
    c = callbacks.c
    keys = (c.lead_department, c.street_key, c.outcome, c.satisfaction)
    return conn.execute(select(*keys, func.count()).where(c.recorded_month == month, c.lead_department.is_not(None))
                        .group_by(*keys)).all()


def research_rankings(conn: Connection, config: dict[str, Any], *, month: str, as_of: datetime,
                      **options: Any) -> dict[str, Any]:
    settings = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    units, weights = scores_of(conn, config, month, as_of), config["weights"]
    return {"month": month, "weights": weights, **settings,
            "bootstrap": "percentile; each rate's scores resampled on their own (a multinomial draw of how often "
                         "each score is drawn); numpy's default generator seeded with `seed` for every unit, so an "
                         "answer is reproduced exactly",
            "departments": ranked("department", units["department"], weights, settings),
            "streets": ranked("street", units["street"], weights, settings),
            "response_time_by_street": {"measure": RESPONSE_TIME, **response_time_decomposition(
                conn, month, settings["confidence"])}}


def response_time_decomposition(conn: Connection, month: str, confidence: float) -> dict[str, Any]:
    """Per street the count, mean and sum of squared deviations, computed in the database (two passes: the
    streets' means, then each street's deviations from its mean), so memory stays flat however many tasks.
    Each street's sums are taken in ascending order of the times, so their last bits (which the p-value shows)
    are the same whatever order the rows lie in: SQLite reads them in that order from
    ix_audit_offers_response_times; PostgreSQL, which may scan the table instead, is told the order."""
    o = offers.c

    def responded(*where: Any) -> Any:
        return (o.is_lead_case, o.has_accepted_at, o.offered_month == month, o.responded_after.is_not(None), *where)

    def in_order(value: Any) -> Any:
        return aggregate_order_by(value, o.responded_after) if conn.dialect.name == "postgresql" else value

    means = select(o.street_key.label("street"), func.count().label("n"),
                   func.avg(in_order(o.responded_after)).label("mean")) \
        .where(*responded(o.street_key.is_not(None))).group_by(o.street_key).subquery()
    deviation = o.responded_after - means.c.mean
    within = select(func.sum(in_order(deviation * deviation))).where(
        *responded(o.street_key == means.c.street)).scalar_subquery()
    rows = conn.execute(select(means.c.street, means.c.n, means.c.mean, within)).all()
    # In the streets' order, whatever order the database grouped them in: the grand mean and the sums of squares
    # are float sums, and their last bits (which the p-value shows) depend on the order they are added in.
    groups = [Group(street, int(n), float(mean), float(ss or 0.0)) for street, n, mean, ss in sorted(rows)]
    return decomposition(groups, confidence=confidence, unit=3600.0)


def department_figures(conn: Connection, config: dict[str, Any], *, department: str, month: str,
                       as_of: datetime) -> dict[str, Any]:
    """Zeros and nulls, not an error, for a month in which the department had nothing to do."""
    ranking = three_rates(conn, config, month=month, as_of=as_of)
    rated = next((r for r in ranking["departments"] if r["department"] == department), None)
    row = next(iter(departments.department_rows(conn, period="month", as_of=as_of, first=month, last=month,
                                                department=department)), None)
    return {"department": department, "month": month, "three_rates": _rates(rated, ranking),
            **{name: row[name] if row else 0 for name in COUNTS},
            **{name: row[name] if row else no_spread() for name in TIMES}}
