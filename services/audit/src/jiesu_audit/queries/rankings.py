"""Research-grade 三率 rankings: the same figures as `rates.three_rates` (the same counting and scores),
each with its count and a confidence interval — Wilson for each rate, a seeded percentile bootstrap for
the composite — and a unit counted fewer than `min_count` times listed but not ranked, so that a
department or street with one case cannot top the table. Beside them, how much of the variation in
response time lies between streets rather than within them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from jiesu_audit.queries import rates, street_times
from jiesu_audit.queries.confidence import Group, composite_interval, decomposition, wilson

DEFAULTS = {"min_count": 30, "confidence": 0.95, "resamples": 2000, "seed": 15}
RESPONSE_TIME = ("hours from acceptance to first contact with the citizen (task.responded), lead case tasks "
                 "offered in the month and responded to, grouped by the case's street")


def research_rankings(conn: Connection, config: dict[str, Any], *, month: str, as_of: datetime,
                      **options: Any) -> dict[str, Any]:
    settings = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    units, weights = rates.scores_of(conn, config, month, as_of), config["weights"]
    return {"month": month, "weights": weights, **settings,
            "bootstrap": "percentile; each rate's scores resampled on their own (a multinomial draw of how often "
                         "each score is drawn); numpy's default generator seeded with `seed` for every unit, so an "
                         "answer is reproduced exactly",
            "departments": ranked("department", units["department"], weights, settings),
            "streets": ranked("street", units["street"], weights, settings),
            "response_time_by_street": {"measure": RESPONSE_TIME, **response_time_decomposition(
                conn, month, settings["confidence"])}}


def ranked(label: str, units: dict[str, rates.Scores], weights: dict[str, float],
           settings: dict[str, Any]) -> list[dict]:
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


def _row(label: str, name: str, unit: rates.Scores, weights: dict[str, float], settings: dict[str, Any]) -> dict:
    view, confidence = unit.view(weights), settings["confidence"]
    row: dict[str, Any] = {label: name, "rank": None}
    for rate in rates.RATES:
        n = view["counted"][rate]
        interval = wilson(unit.points(rate), n, confidence)
        row[rate] = {"value": view[f"{rate}_rate"], "count": n, "interval": list(interval) if interval else None,
                     "rank": None}
    used = [rate for rate in rates.RATES if row[rate]["count"] and weights.get(rate)]
    interval = composite_interval({r: unit.tallies[r] for r in used}, weights, confidence=confidence,
                                  resamples=settings["resamples"], seed=settings["seed"])
    row["composite"] = {"value": view["composite"], "count": min((row[r]["count"] for r in used), default=0),
                        "interval": list(interval) if interval else None, "rank": None}
    return row


def response_time_decomposition(conn: Connection, month: str, confidence: float) -> dict[str, Any]:
    """Per street the count, mean and sum of squared deviations, kept per (month, street) and counted afresh
    where stale (`street_times`: each street's sums taken in ascending order of the times, so their last bits,
    which the p-value shows, are the same whatever order the rows lie in)."""
    # In the streets' order: the grand mean and the sums of squares are float sums, and their last bits (which the
    # p-value shows) depend on the order they are added in.
    groups = [Group(street, *times) for street, times in sorted(street_times.of_month(conn, month).items())]
    return decomposition(groups, confidence=confidence, unit=3600.0)
