"""Research-grade 三率 rankings: the same figures as `rates.three_rates` (the same counting and scores),
each with its count and a confidence interval — Wilson for each rate, a seeded percentile bootstrap for
the composite — and a unit counted fewer than `min_count` times listed but not ranked, so that a
department or street with one case cannot top the table. Beside them, how much of the variation in
response time lies between streets rather than within them."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from jiesu_audit.queries import rates
from jiesu_audit.queries.confidence import Group, composite_interval, decomposition, wilson
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.tables import cases, offers

DEFAULTS = {"min_count": 30, "confidence": 0.95, "resamples": 2000, "seed": 15}
RESPONSE_TIME = ("hours from acceptance to first contact with the citizen (task.responded), lead case tasks "
                 "offered in the month and responded to, grouped by the case's street")


@dataclass
class Unit:
    """One department's or street's scores: the rates' sums (as `rates` keeps them) and each score."""

    scores: rates.Scores = field(default_factory=rates.Scores)
    samples: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in rates.RATES})

    def add(self, rate: str, score: float | None, times: int = 1) -> None:
        if score is not None:
            self.scores.add(rate, score, times)
            self.samples[rate].extend([score] * times)


def research_rankings(conn: Connection, config: dict[str, Any], *, month: str, as_of: datetime,
                      **options: Any) -> dict[str, Any]:
    settings = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    by = {"department": defaultdict(Unit), "street": defaultdict(Unit)}

    def add(department: str, street: str | None, rate: str, score: float | None, times: int = 1) -> None:
        by["department"][department].add(rate, score, times)
        if street:
            by["street"][street].add(rate, score, times)

    for department, street, on_time, n in rates.response_counts(conn, month, micros(as_of)):
        add(department, street, "response", float(on_time), n)
    outcome_scores, satisfaction_scores = config["resolution"]["outcome_scores"], config["satisfaction"]["scores"]
    for department, street, outcome, satisfaction in rates.callback_verdicts(conn, month):
        add(department, street, "resolution", outcome_scores.get(outcome))
        add(department, street, "satisfaction", satisfaction_scores.get(satisfaction or ""))
    weights = config["weights"]
    return {"month": month, "weights": weights, **settings,
            "bootstrap": "percentile; each rate's scores resampled on their own; numpy's default generator seeded "
                         "with `seed` for every unit, so an answer is reproduced exactly",
            "departments": ranked("department", by["department"], weights, settings),
            "streets": ranked("street", by["street"], weights, settings),
            "response_time_by_street": {"measure": RESPONSE_TIME, **response_time_decomposition(
                conn, month, settings["confidence"])}}


def ranked(label: str, units: dict[str, Unit], weights: dict[str, float], settings: dict[str, Any]) -> list[dict]:
    rows = [_row(label, name, unit, weights, settings) for name, unit in units.items()]
    least = settings["min_count"]
    for rate in (*rates.RATES, "composite"):
        eligible = [r for r in rows if r[rate]["value"] is not None and r[rate]["count"] >= least]
        for place, row in enumerate(sorted(eligible, key=lambda r: (-r[rate]["value"], r[label])), start=1):
            row[rate]["rank"] = place
    for row in rows:
        row["rank"] = row["composite"]["rank"]
        if row["rank"] is None:
            row["unranked_because"] = (f"counted {row['composite']['count']} times, fewer than {least}"
                                       if row["composite"]["value"] is not None else "no rate with a denominator")
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r["composite"]["value"] or 0.0), r[label]))
    return rows


def _row(label: str, name: str, unit: Unit, weights: dict[str, float], settings: dict[str, Any]) -> dict:
    view, confidence = unit.scores.view(weights), settings["confidence"]
    row: dict[str, Any] = {label: name, "rank": None}
    for rate in rates.RATES:
        n = view["counted"][rate]
        interval = wilson(unit.scores.points[rate], n, confidence)
        row[rate] = {"value": view[f"{rate}_rate"], "count": n, "interval": list(interval) if interval else None,
                     "rank": None}
    used = [rate for rate in rates.RATES if row[rate]["count"] and weights.get(rate)]
    interval = composite_interval({r: unit.samples[r] for r in used}, weights, confidence=confidence,
                                  resamples=settings["resamples"], seed=settings["seed"])
    row["composite"] = {"value": view["composite"], "count": min((row[r]["count"] for r in used), default=0),
                        "interval": list(interval) if interval else None, "rank": None}
    return row


def response_time_decomposition(conn: Connection, month: str, confidence: float) -> dict[str, Any]:
    """Per street the count, mean and sum of squared deviations, computed in the database (two passes:
    the streets' means, then the deviations from them), so memory stays flat however many tasks."""
    o = offers.c
    values = (select(cases.c.street_key.label("street"), o.responded_after.label("x"))
              .select_from(offers.join(cases, cases.c.case_id == o.case_id))
              .where(o.is_lead_case, o.has_accepted_at, o.offered_month == month, o.responded_after.is_not(None),
                     cases.c.street_key.is_not(None))).subquery()
    means = select(values.c.street, func.count().label("n"), func.avg(values.c.x).label("mean")) \
        .group_by(values.c.street).subquery()
    deviation = values.c.x - means.c.mean
    rows = conn.execute(select(means.c.street, means.c.n, means.c.mean, func.sum(deviation * deviation))
                        .select_from(values.join(means, values.c.street == means.c.street))
                        .group_by(means.c.street, means.c.n, means.c.mean)).all()
    groups = [Group(street, int(n), float(mean), float(ss or 0.0)) for street, n, mean, ss in rows]
    return decomposition(groups, confidence=confidence, unit=3600.0)
