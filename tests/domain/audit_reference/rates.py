"""Reference (folding): the three rates (三率), the outcome mix and recurring problems (未诉先办), by configured definitions."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.times import period_of, ratio

OUTCOMES = ("resolved_satisfied", "satisfied_unresolved", "resolved_unsatisfied", "neither", "unresolvable")
RATES = ("response", "resolution", "satisfaction")


@dataclass
class _Scores:
    points: dict[str, float] = field(default_factory=lambda: dict.fromkeys(RATES, 0.0))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATES, 0))

    def add(self, rate: str, score: float | None) -> None:
        if score is not None:
            self.points[rate] += score
            self.counts[rate] += 1

    def view(self, weights: dict[str, float]) -> dict[str, Any]:
        rates = {r: ratio(self.points[r], self.counts[r]) for r in RATES}
        present = [r for r in RATES if rates[r] is not None and weights.get(r)]
        total = sum(weights[r] for r in present)
        composite = round(sum(weights[r] * rates[r] for r in present) / total, 6) if total else None
        return {**{f"{r}_rate": rates[r] for r in RATES}, "counted": dict(self.counts), "composite": composite}


def three_rates(histories: Iterable[CaseHistory], config: dict[str, Any], *, month: str,
                as_of: datetime) -> dict[str, Any]:
    by_department: dict[str, _Scores] = defaultdict(_Scores)
    by_street: dict[str, _Scores] = defaultdict(_Scores)
    for h in histories:
        street = _street_key(h)
        for department, rate, score in _scores_of(h, config, month, as_of):
            by_department[department].add(rate, score)
            if street:
                by_street[street].add(rate, score)
    weights = config["weights"]
    return {"month": month, "weights": weights,
            "departments": _ranked("department", by_department, weights),
            "streets": _ranked("street", by_street, weights)}


def _street_key(h: CaseHistory) -> str | None:
    district, street = h.place.get("district"), h.place.get("street")
    return f"{district}/{street}" if district and street else None


def _scores_of(h: CaseHistory, config: dict[str, Any], month: str, as_of: datetime):
    for o in h.lead_offers():
        if o.accepted_at is None or period_of(o.offered_at, "month") != month or o.respond_by is None:
            continue
        if o.responded_at is not None:
            yield o.department, "response", float(o.responded_at <= o.respond_by)
        elif as_of > o.respond_by:
            yield o.department, "response", 0.0
    outcome_scores = config["resolution"]["outcome_scores"]
    satisfaction_scores = config["satisfaction"]["scores"]
    for c in h.callbacks:
        if period_of(c.recorded_at, "month") != month or c.lead_department is None:
            continue
        yield c.lead_department, "resolution", outcome_scores.get(c.outcome)
        yield c.lead_department, "satisfaction", satisfaction_scores.get(c.satisfaction or "")


def _ranked(label: str, scores: dict[str, _Scores], weights: dict[str, float]) -> list[dict[str, Any]]:
    rows = [{label: name, **s.view(weights)} for name, s in scores.items()]
    rows.sort(key=lambda r: (r["composite"] is None, -(r["composite"] or 0.0), r[label]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["composite"] is not None else None
    return rows


def outcome_mix(histories: Iterable[CaseHistory], *, month: str | None = None) -> dict[str, int]:
    """The citizen's last verdict per case, in the five outcome categories (optionally within a month)."""
    mix = Counter({o: 0 for o in OUTCOMES})
    for h in histories:
        if h.callbacks and (month is None or period_of(h.callbacks[-1].recorded_at, "month") == month):
            mix[h.callbacks[-1].outcome] += 1
    return dict(mix)


def recurring_problems(histories: Iterable[CaseHistory], *, window_days: int, min_cases: int,
                       level: str = "community") -> list[dict[str, Any]]:
    """The same subject at the same place: the most cases any `window_days` window holds, ranked."""
    groups: dict[tuple, list[tuple[datetime, str]]] = defaultdict(list)
    for h in histories:
        if h.received_at is None or not h.category:
            continue
        place = _place_at(h.place, level)
        if place is not None:
            groups[(h.category, *place)].append((h.received_at, h.case_id))
    found = []
    for (category, *place), cases in groups.items():
        cases.sort()
        best = _densest_window(cases, timedelta(days=window_days))
        if len(best) >= min_cases:
            found.append({"category": category, "place": dict(zip(_LEVELS[level], place)),
                          "cases": len(best), "case_ids": [c for _, c in best],
                          "first_received": best[0][0].isoformat(), "last_received": best[-1][0].isoformat()})
    found.sort(key=lambda r: (-r["cases"], r["category"], tuple(r["place"].values())))
    return found


_LEVELS = {"street": ("district", "street"), "community": ("district", "street", "community"),
           "grid": ("district", "street", "community", "grid")}


def _place_at(place: dict[str, Any], level: str) -> tuple | None:
    values = tuple(place.get(k) for k in _LEVELS[level])
    return values if all(values) else None


def _densest_window(cases: list[tuple[datetime, str]], window: timedelta) -> list[tuple[datetime, str]]:
    best, start = cases[:1], 0
    for end in range(len(cases)):
        while cases[end][0] - cases[start][0] > window:
            start += 1
        if end - start + 1 > len(best):
            best = cases[start:end + 1]
    return best
