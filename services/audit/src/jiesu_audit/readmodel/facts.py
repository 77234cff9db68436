"""A case's folded history as the rows of the read-model tables: the facts every figure is counted from.

Pure. The definitions are the folding's own (`Offer.was_accepted`, `returns_of`, …), applied once per
case here instead of over every case at each question. Rows are tuples in the order of their table's
`COLUMNS` below (a catch-up writes millions): booleans as `bool`, durations as `float`, so they are stored
as the column types would store them."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.intervals import returns_of
from jiesu_audit.domain.parts import Offer
from jiesu_audit.domain.times import period_of, periods_of, seconds_between
from jiesu_audit.readmodel.state_blob import dump_state, load_state  # noqa: F401  (load_state: for callers)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PERIODS = ("month", "week", "day")


def _with_periods(prefix: str, *before: str) -> tuple[str, ...]:
    return (*before, *(f"{prefix}_{p}" for p in _PERIODS))


COLUMNS: dict[str, tuple[str, ...]] = {
    "audit_cases": ("case_id", "received_us", "received_at", "category", "district", "street", "community",
                    "grid", "street_key", "last_outcome", "last_callback_month", "last_lead_department", "chain",
                    "bounces", "departments", "slowest_department", "slowest_seconds", "still_open", "state",
                    "version"),
    "audit_offers": (*_with_periods("offered", "task_id", "case_id", "department", "kind", "is_lead_case"),
                     "was_accepted", "has_accepted_at", "returned", "cancelled_undecided", "return_reason",
                     "decided_after", "responded_after", "completed_after", "respond_by_us", "responded_us",
                     "notified_after", "notify_attempts", "notification_failures", "street_key"),
    "audit_breaches": (*_with_periods("offered", "case_id", "task_id", "department", "kind"), "clock"),
    "audit_warnings": (*_with_periods("warned", "case_id", "task_id", "department", "clock"), "heeded"),
    "audit_rulings": (*_with_periods("escalated", "case_id"), "street_key", "coordinator", "ruled",
                      "waited_seconds"),
    "audit_marks": _with_periods("at", "case_id", "kind", "department"),
    "audit_returns": _with_periods("returned", "case_id", "from_department", "to_department", "cost_seconds",
                                   "returned_us"),
    "audit_callbacks": ("case_id", "recorded_month", "outcome", "satisfaction", "lead_department", "street_key"),
    "audit_summons": (*_with_periods("blown", "case_id", "whistle_id", "department"), "reported_in",
                      "report_in_seconds", "no_show"),
    "audit_meeting_tasks": (*_with_periods("recorded", "case_id", "task_id", "owner"), "deadline_us",
                            "completed"),
}


def micros(moment: datetime | None) -> int | None:
    """Whole microseconds since the epoch: exact, so comparisons in SQL agree with Python's."""
    if moment is None:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def street_key(h: CaseHistory) -> str | None:
    """The case's street as the three rates and the rulings group by it: district/street."""
    district, street = h.place.get("district"), h.place.get("street")
    return f"{district}/{street}" if district and street else None


def case_row(h: CaseHistory) -> tuple:
    place = h.place
    district, street = place.get("district"), place.get("street")
    last = h.callbacks[-1] if h.callbacks else None
    chain, bounces = ping_pong(h)
    multi = multi_department(h)
    return (h.case_id, micros(h.received_at), h.received_at.isoformat() if h.received_at else None, h.category,
            district, street, place.get("community"), place.get("grid"),
            street_key(h), last.outcome if last else None, period_of(last.recorded_at, "month") if last else None,
            last.lead_department if last else None,
            json.dumps(chain) if bounces else None, bounces,
            json.dumps(multi["departments"]) if multi else None,
            multi["slowest_department"] if multi else None, multi["slowest_seconds"] if multi else None,
            multi["still_open"] if multi else None, dump_state(h), h.revision)


def offer_rows(h: CaseHistory) -> tuple[list[tuple], list[tuple]]:
    rows, breach_rows, street = [], [], street_key(h)
    for o in h.offers.values():
        offered = periods_of(o.offered_at)
        rows.append(_offer_row(h.case_id, o, offered, street))
        if o.kind == "case":
            breach_rows += [(h.case_id, o.task_id, o.department, o.kind, *offered, clock) for clock in o.breaches]
    return rows, breach_rows


def _offer_row(case_id: str, o: Offer, offered: tuple[str, str, str], street: str | None) -> tuple:
    returned = o.outcome == "returned"
    return (o.task_id, case_id, o.department, o.kind, o.is_lead_case_task(), *offered,
            o.was_accepted, o.accepted_at is not None, returned,
            o.cancelled_at is not None and o.accepted_at is None and o.returned_at is None,
            o.return_reason if returned else None, o.decided_after, o.responded_after, o.completed_after,
            micros(o.respond_by), micros(o.responded_at), seconds_between(o.offered_at, o.notified_at),
            o.notify_attempts, o.notification_failures, street)


def warning_rows(h: CaseHistory) -> list[tuple]:
    rows = []
    for o in h.offers.values():
        for w in o.warnings:
            rows.append((h.case_id, o.task_id, o.department, w.clock, *periods_of(w.warned_at),
                         w.heeded_by(o.act_time(w.clock))))
    return rows


def ruling_rows(h: CaseHistory) -> list[tuple]:
    street = street_key(h)
    return [(h.case_id, *periods_of(e.escalated_at), street, e.coordinator, e.ruled_at is not None,
             seconds_between(e.escalated_at, e.ruled_at)) for e in h.escalations]


def mark_rows(h: CaseHistory) -> list[tuple]:
    return [(h.case_id, m.kind, m.department, *periods_of(m.at)) for m in h.marks]


def return_rows(h: CaseHistory) -> list[tuple]:
    """The time of a return is its offer's `returned_at`, as the timeline's intervals give it (`returns_of`)."""
    leads, rows = h.lead_offers(), []
    for r, returned in zip(returns_of(h), [o for o in leads if o.returned_at is not None], strict=True):
        rows.append((h.case_id, r["from"], r["to"], r["cost_seconds"], micros(returned.returned_at),
                     *periods_of(returned.returned_at)))
    return rows


def callback_rows(h: CaseHistory) -> list[tuple]:
    street = street_key(h)
    return [(h.case_id, period_of(c.recorded_at, "month"), c.outcome, c.satisfaction, c.lead_department, street)
            for c in h.callbacks]


def summons_rows(h: CaseHistory) -> list[tuple]:
    rows = []
    for w in h.whistles.values():
        blown = periods_of(w.blown_at)
        for department in w.summoned:
            reported = department in w.reported_in
            rows.append((h.case_id, w.whistle_id, department, *blown, reported,
                         (seconds_between(w.blown_at, w.reported_in[department]) or 0.0) if reported else None,
                         department in w.no_shows))
    return rows


def meeting_rows(h: CaseHistory) -> list[tuple]:
    return [(h.case_id, m.task_id, m.owner, *periods_of(m.recorded_at), micros(m.deadline), m.completed_at is not None)
            for m in h.meeting_tasks.values()]


def ping_pong(h: CaseHistory) -> tuple[list[str], int]:
    """The chain of lead departments (repeats collapsed) and how often it went back (A→B→A)."""
    sequence: list[str] = []
    for o in h.lead_offers():
        if not sequence or sequence[-1] != o.department:
            sequence.append(o.department)
    return sequence, sum(1 for i in range(len(sequence) - 2) if sequence[i] == sequence[i + 2])


def multi_department(h: CaseHistory) -> dict[str, Any] | None:
    took = [o for o in h.offers.values() if o.kind == "case" and o.was_accepted]
    departments = sorted({o.department for o in took})
    if len(departments) < 2:
        return None
    durations = {o.department: o.completed_after for o in took}
    slowest = max(departments, key=lambda d: (durations[d] is None, durations[d] or 0.0))
    return {"departments": departments, "slowest_department": slowest, "slowest_seconds": durations[slowest],
            "still_open": durations[slowest] is None}


def rows_of(h: CaseHistory) -> dict[str, list[tuple]]:
    """Every table's rows for one case, by table name."""
    offer_list, breach_list = offer_rows(h)
    return {"audit_offers": offer_list, "audit_breaches": breach_list, "audit_returns": return_rows(h),
            "audit_callbacks": callback_rows(h), "audit_summons": summons_rows(h),
            "audit_meeting_tasks": meeting_rows(h), "audit_warnings": warning_rows(h),
            "audit_rulings": ruling_rows(h), "audit_marks": mark_rows(h)}
