"""The three rates (三率) per department and street, ranked, and the outcome mix — by the configured
definitions (three_rates.json). The database counts; the few scores per group are weighed here."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from jiesu_audit.domain.times import ratio
from jiesu_audit.queries.common import code_point_order
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.tables import callbacks, cases, offers

OUTCOMES = ("resolved_satisfied", "satisfied_unresolved", "resolved_unsatisfied", "neither", "unresolvable")
RATES = ("response", "resolution", "satisfaction")


@dataclass
class Scores:
    points: dict[str, float] = field(default_factory=lambda: dict.fromkeys(RATES, 0.0))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATES, 0))

    def add(self, rate: str, score: float | None, times: int) -> None:
        if score is not None:
            self.points[rate] += score * times  # responses score 0 or 1: exact whatever the grouping
            self.counts[rate] += times

    def view(self, weights: dict[str, float]) -> dict[str, Any]:
        rates = {r: ratio(self.points[r], self.counts[r]) for r in RATES}
        present = [r for r in RATES if rates[r] is not None and weights.get(r)]
        total = sum(weights[r] for r in present)
        composite = round(sum(weights[r] * rates[r] for r in present) / total, 6) if total else None
        return {**{f"{r}_rate": rates[r] for r in RATES}, "counted": dict(self.counts), "composite": composite}


def three_rates(conn: Connection, config: dict[str, Any], *, month: str, as_of: datetime) -> dict[str, Any]:
    by_department: dict[str, Scores] = defaultdict(Scores)
    by_street: dict[str, Scores] = defaultdict(Scores)

    def add(department: str, street: str | None, rate: str, score: float | None, times: int) -> None:
        by_department[department].add(rate, score, times)
        if street:
            by_street[street].add(rate, score, times)

    for department, street, on_time, n in response_counts(conn, month, micros(as_of)):
        add(department, street, "response", float(on_time), n)
    outcome_scores, satisfaction_scores = config["resolution"]["outcome_scores"], config["satisfaction"]["scores"]
    for department, street, outcome, satisfaction in callback_verdicts(conn, month):
        add(department, street, "resolution", outcome_scores.get(outcome), 1)
        add(department, street, "satisfaction", satisfaction_scores.get(satisfaction or ""), 1)
    weights = config["weights"]
    return {"month": month, "weights": weights, "departments": _ranked("department", by_department, weights),
            "streets": _ranked("street", by_street, weights)}


def response_counts(conn: Connection, month: str, as_of_us: int | None):  # type: ignore[no-untyped-def]
    """Accepted lead case tasks offered in the month with a response deadline, responded to or overdue."""
    o = offers.c
    on_time = case((o.responded_us.is_(None), 0), (o.responded_us <= o.respond_by_us, 1), else_=0)
    keys = [o.department, cases.c.street_key, on_time]
    return conn.execute(select(*keys, func.count()).select_from(offers.join(cases, cases.c.case_id == o.case_id))
                        .where(o.is_lead_case, o.has_accepted_at, o.offered_month == month,
                               o.respond_by_us.is_not(None), o.responded_us.is_not(None) | (o.respond_by_us < as_of_us))
                        .group_by(*keys)).all()


def callback_verdicts(conn: Connection, month: str):  # type: ignore[no-untyped-def]
    """The month's verdicts one by one, in case order: scores such as 0.8 are summed in floating point, whose
    result depends on the order, and the rates are rounded to 6 places — so they are added as ever."""
    c = callbacks.c
    return conn.execute(select(c.lead_department, cases.c.street_key, c.outcome, c.satisfaction)
                        .select_from(callbacks.join(cases, cases.c.case_id == c.case_id))
                        .where(c.recorded_month == month, c.lead_department.is_not(None))
                        .order_by(code_point_order(conn, c.case_id), c.id)).yield_per(5000)


def _ranked(label: str, scores: dict[str, Scores], weights: dict[str, float]) -> list[dict[str, Any]]:
    rows = [{label: name, **s.view(weights)} for name, s in scores.items()]
    rows.sort(key=lambda r: (r["composite"] is None, -(r["composite"] or 0.0), r[label]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["composite"] is not None else None
    return rows


def outcome_mix(conn: Connection, month: str | None) -> dict[str, int]:
    """The citizen's last verdict per case, in the five outcome categories (optionally within a month)."""
    where = [cases.c.last_outcome.is_not(None)]
    if month is not None:
        where.append(cases.c.last_callback_month == month)
    mix = dict.fromkeys(OUTCOMES, 0)
    for outcome, n in conn.execute(select(cases.c.last_outcome, func.count()).where(*where)
                                   .group_by(cases.c.last_outcome).order_by(cases.c.last_outcome)):
        mix[outcome] = mix.get(outcome, 0) + n
    return mix
