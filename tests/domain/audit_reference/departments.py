"""Reference (folding): silos and delays per department and period, and the hand-over network."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.intervals import returns_of
from jiesu_audit.domain.times import median, p90, period_of, ratio, seconds_between


@dataclass
class _Tally:
    offers: int = 0
    accepted: int = 0
    returned: int = 0
    cancelled: int = 0
    returns_by_reason: Counter = field(default_factory=Counter)
    decide: list[float] = field(default_factory=list)
    respond: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    breaches: Counter = field(default_factory=Counter)
    summoned: int = 0
    reported_in: list[float] = field(default_factory=list)
    no_shows: int = 0
    meeting_tasks_open: int = 0
    meeting_tasks_overdue: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "offers": self.offers, "accepted": self.accepted, "returned": self.returned,
            "cancelled": self.cancelled, "acceptance_rate": ratio(self.accepted, self.offers),
            "return_rate": ratio(self.returned, self.offers),
            "returns_by_reason": dict(sorted(self.returns_by_reason.items())),
            "time_to_decide_seconds": _spread(self.decide), "time_to_respond_seconds": _spread(self.respond),
            "time_to_complete_seconds": _spread(self.complete),
            "sla_breaches": dict(sorted(self.breaches.items())),
            "whistles": {"summoned": self.summoned, "reported_in": len(self.reported_in),
                         "report_in_seconds": _spread(self.reported_in), "no_shows": self.no_shows},
            "meeting_tasks": {"open": self.meeting_tasks_open, "overdue": self.meeting_tasks_overdue},
        }


def _spread(values: list[float]) -> dict[str, Any]:
    return {"count": len(values), "median": median(values), "p90": p90(values)}


def department_stats(histories: Iterable[CaseHistory], *, period: str, as_of: datetime) -> list[dict[str, Any]]:
    """One row per (department, period); offers count in the period they were made, whistles in the
    period they were blown, meeting tasks in the period they were decided."""
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for h in histories:
        _tally_offers(h, tallies, period)
        _tally_whistles(h, tallies, period)
        _tally_meetings(h, tallies, period, as_of)
    return [{"department": d, "period": p, **t.view()} for (d, p), t in sorted(tallies.items())]


def _tally_offers(h: CaseHistory, tallies: dict, period: str) -> None:
    for o in h.offers.values():
        if o.kind != "case":
            continue
        t = tallies[(o.department, period_of(o.offered_at, period))]
        t.offers += 1
        t.accepted += o.was_accepted
        t.returned += o.outcome == "returned"
        t.cancelled += o.cancelled_at is not None and o.accepted_at is None and o.returned_at is None
        if o.return_reason and o.outcome == "returned":
            t.returns_by_reason[o.return_reason] += 1
        for values, value in ((t.decide, o.decided_after), (t.respond, o.responded_after),
                              (t.complete, o.completed_after)):
            if value is not None:
                values.append(value)
        t.breaches.update(o.breaches)


def _tally_whistles(h: CaseHistory, tallies: dict, period: str) -> None:
    for w in h.whistles.values():
        key = period_of(w.blown_at, period)
        for department in w.summoned:
            t = tallies[(department, key)]
            t.summoned += 1
            if department in w.reported_in:
                t.reported_in.append(seconds_between(w.blown_at, w.reported_in[department]) or 0.0)
            t.no_shows += department in w.no_shows


def _tally_meetings(h: CaseHistory, tallies: dict, period: str, as_of: datetime) -> None:
    for m in h.meeting_tasks.values():
        if m.completed_at is None:
            t = tallies[(m.owner, period_of(m.recorded_at, period))]
            t.meeting_tasks_open += 1
            t.meeting_tasks_overdue += m.deadline is not None and as_of > m.deadline


def handover_network(histories: Iterable[CaseHistory]) -> dict[str, Any]:
    """Who returned cases to whom (edges), ping-pong chains (A→B→A) and cases that needed several departments."""
    edges: dict[tuple[str, str], list[float]] = defaultdict(list)
    chains, multi = [], []
    for h in histories:
        for r in returns_of(h):
            if r["to"] is not None:
                edges[(r["from"], r["to"])].append(r["cost_seconds"] or 0.0)
        if (chain := _ping_pong(h)) is not None:
            chains.append(chain)
        if (row := _multi_department(h)) is not None:
            multi.append(row)
    return {
        "edges": [{"from": a, "to": b, "returns": len(c), "total_cost_seconds": _exact_total(c),
                   "median_cost_seconds": median(c)} for (a, b), c in sorted(edges.items())],
        "ping_pong": sorted(chains, key=lambda c: c["case_id"]),
        "multi_department_cases": sorted(multi, key=lambda r: (-(r["slowest_seconds"] or 0), r["case_id"])),
    }


def _exact_total(costs: list[float]) -> float:
    """The costs are whole microseconds (differences of event times): their exact sum, rounded once. (A float
    sum's last bits would depend on the order the cases are added in.)"""
    return sum(round(seconds * 1_000_000) for seconds in costs) / 1_000_000


def _ping_pong(h: CaseHistory) -> dict[str, Any] | None:
    sequence: list[str] = []
    for o in h.lead_offers():
        if not sequence or sequence[-1] != o.department:
            sequence.append(o.department)
    bounces = sum(1 for i in range(len(sequence) - 2) if sequence[i] == sequence[i + 2])
    return {"case_id": h.case_id, "chain": sequence, "bounces": bounces} if bounces else None


def _multi_department(h: CaseHistory) -> dict[str, Any] | None:
    took = [o for o in h.offers.values() if o.kind == "case" and o.was_accepted]
    departments = sorted({o.department for o in took})
    if len(departments) < 2:
        return None
    durations = {o.department: o.completed_after for o in took}
    slowest = max(departments, key=lambda d: (durations[d] is None, durations[d] or 0.0))
    return {"case_id": h.case_id, "departments": departments, "slowest_department": slowest,
            "slowest_seconds": durations[slowest], "still_open": durations[slowest] is None}
