"""The three rates (三率) per department and street, ranked, and the outcome mix — by the configured
definitions (three_rates.json). How often each score was given per department and street is kept per (month,
department) (`rate_tallies`: the answered responses and the verdicts; the overdue unanswered ones counted at the
question); the sums over those counts are exact, so, unlike a float sum of the scores one by one, they do not
depend on the order the rows come in."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, select

from jiesu_audit.domain.times import ratio
from jiesu_audit.queries import rate_tallies
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.tables import cases

OUTCOMES = ("resolved_satisfied", "satisfied_unresolved", "resolved_unsatisfied", "neither", "unresolvable")
RATES = ("response", "resolution", "satisfaction")


@dataclass
class Scores:
    """One department's or street's scores: per rate, how many times each score was given."""

    tallies: dict[str, Counter[float]] = field(default_factory=lambda: {r: Counter() for r in RATES})

    def add(self, rate: str, score: float | None, times: int = 1) -> None:
        if score is not None and times:
            self.tallies[rate][score] += times

    def count(self, rate: str) -> int:
        return sum(self.tallies[rate].values())

    def points(self, rate: str) -> float:
        """The sum of the scores, computed exactly (in fractions) and rounded once."""
        return float(sum((Fraction(score) * times for score, times in self.tallies[rate].items()), Fraction(0)))

    def view(self, weights: dict[str, float]) -> dict[str, Any]:
        counts = {r: self.count(r) for r in RATES}
        rates = {r: ratio(self.points(r), counts[r]) for r in RATES}
        present = [r for r in RATES if rates[r] is not None and weights.get(r)]
        total = sum(weights[r] for r in present)
        composite = round(sum(weights[r] * rates[r] for r in present) / total, 6) if total else None
        return {**{f"{r}_rate": rates[r] for r in RATES}, "counted": counts, "composite": composite}


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

    for department, tally in rate_tallies.of_month(conn, month):
        for street, on_time, n in tally.get("responses", ()):
            add(department, street, "response", 1.0, on_time)
            add(department, street, "response", 0.0, n - on_time)
        for street, outcome, satisfaction, n in tally.get("verdicts", ()):
            add(department, street, "resolution", outcome_scores.get(outcome), n)
            add(department, street, "satisfaction", satisfaction_scores.get(satisfaction or ""), n)
    for department, street, n in rate_tallies.overdue_unanswered(conn, month, micros(as_of)):
        add(department, street, "response", 0.0, n)
    return {"department": departments, "street": streets}


def _ranked(label: str, scores: dict[str, Scores], weights: dict[str, float]) -> list[dict[str, Any]]:
    rows = [{label: name, **s.view(weights)} for name, s in scores.items()]
    rows.sort(key=lambda r: (r["composite"] is None, -(r["composite"] or 0.0), r[label]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["composite"] is not None else None
    return rows


def outcome_mix(conn: Connection, month: str | None, *, department: str | None = None,
                within: tuple[str, ...] = ()) -> dict[str, int]:
    """The citizen's last verdict per case, in the five outcome categories (optionally within a month).
    `department`: only the cases whose last verdict was about its work (it was the lead, as the three rates
    count the verdict); `within`: (district,) or (district, street): only the cases received there."""
    c = cases.c
    where = [c.last_outcome.is_not(None)]  # a literal condition: the partial index names this very one
    if month is not None:
        where.append(c.last_callback_month == month)
    if department is not None:
        where.append(c.last_lead_department == department)
    where += [column == name for column, name in zip((c.district, c.street), within)]
    mix = dict.fromkeys(OUTCOMES, 0)
    for outcome, n in conn.execute(select(c.last_outcome, func.count()).where(*where)
                                   .group_by(c.last_outcome).order_by(c.last_outcome)):
        mix[outcome] = mix.get(outcome, 0) + n
    return mix
