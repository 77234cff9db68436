"""Reference (folding): research-grade 三率 rankings from the folded histories — each unit's scores tallied
as the reference three rates score them, ranked among the units counted at least `min_count` times, and
response time split between and within streets. The statistics themselves (Wilson, the seeded bootstrap,
the one-way decomposition) are audit's pure functions, checked against scipy in test_audit_rankings; what
this reference stands for is what they are given: which scores, how many, which response times."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.times import period_of, ratio
from jiesu_audit.queries.confidence import Group, composite_interval, decomposition, wilson
from tests.domain.audit_reference.rates import RATES, _scores_of, _street_key

Tallies = dict[str, Counter]  # per rate: how many times each score was given


def research_rankings(histories: Iterable[CaseHistory], config: dict[str, Any], *, month: str, as_of: datetime,
                      min_count: int = 30, confidence: float = 0.95, resamples: int = 2000,
                      seed: int = 15) -> dict[str, Any]:
    histories = list(histories)
    units: dict[str, dict[str, Tallies]] = {"department": defaultdict(_tallies), "street": defaultdict(_tallies)}
    for h in histories:
        street = _street_key(h)
        for department, rate, score in _scores_of(h, config, month, as_of):
            for label, name in (("department", department), ("street", street)):
                if name:
                    tallies = units[label][name]
                    if score is not None:
                        tallies[rate][score] += 1
    settings = {"min_count": min_count, "confidence": confidence, "resamples": resamples, "seed": seed}
    weights = config["weights"]
    return {"month": month, "weights": weights, **settings,
            "departments": _ranked("department", units["department"], weights, settings),
            "streets": _ranked("street", units["street"], weights, settings),
            "response_time_by_street": decomposition(_response_times(histories, month), confidence=confidence,
                                                     unit=3600.0)}


def _tallies() -> Tallies:
    return {rate: Counter() for rate in RATES}


def _row(label: str, name: str, tallies: Tallies, weights: dict[str, float], settings: dict[str, Any]) -> dict:
    row: dict[str, Any] = {label: name, "rank": None}
    for rate in RATES:
        n = sum(tallies[rate].values())
        points = float(sum((Fraction(score) * times for score, times in tallies[rate].items()), Fraction(0)))
        interval = wilson(points, n, settings["confidence"])
        row[rate] = {"value": ratio(points, n), "count": n, "interval": list(interval) if interval else None,
                     "rank": None}
    present = [r for r in RATES if row[r]["value"] is not None and weights.get(r)]
    total = sum(weights[r] for r in present)
    composite = round(sum(weights[r] * row[r]["value"] for r in present) / total, 6) if total else None
    interval = composite_interval({r: tallies[r] for r in present}, weights, confidence=settings["confidence"],
                                  resamples=settings["resamples"], seed=settings["seed"])
    row["composite"] = {"value": composite, "count": min((row[r]["count"] for r in present), default=0),
                        "interval": list(interval) if interval else None, "rank": None}
    return row


def _ranked(label: str, units: dict[str, Tallies], weights: dict[str, float], settings: dict[str, Any]) -> list:
    rows = [_row(label, name, tallies, weights, settings) for name, tallies in units.items()]
    least = settings["min_count"]
    for rate in (*RATES, "composite"):
        eligible = sorted((r for r in rows if r[rate]["value"] is not None and r[rate]["count"] >= least),
                          key=lambda r: (-r[rate]["value"], r[label]))
        for place, row in enumerate(eligible, start=1):
            row[rate]["rank"] = place
    for row in rows:
        row["rank"] = row["composite"]["rank"]
        if row["rank"] is None:
            row["unranked_because"] = (f"counted {row['composite']['count']} times, fewer than {least}"
                                       if row["composite"]["value"] is not None else "no rate with a denominator")
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r["composite"]["value"] or 0.0), r[label]))


def _response_times(histories: list[CaseHistory], month: str) -> list[Group]:
    """Per street, hours from acceptance to first contact of the lead case tasks offered in the month; each
    street's sums taken in ascending order of the times, the streets in name order."""
    times: dict[str, list[float]] = defaultdict(list)
    for h in histories:
        street = _street_key(h)
        for o in h.lead_offers():
            if street and o.accepted_at and period_of(o.offered_at, "month") == month and o.responded_after is not None:
                times[street].append(o.responded_after)
    groups = []
    for street, values in sorted(times.items()):
        values.sort()
        mean = sum(values) / len(values)
        groups.append(Group(street, len(values), mean, sum((v - mean) * (v - mean) for v in values)))
    return groups
