"""A case's folded history as the rows of the read-model tables: the facts every figure is counted from.

Pure. The definitions are the folding's own (`Offer.was_accepted`, `returns_of`, …), applied once per
case here instead of over every case at each question."""
from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.intervals import returns_of
from jiesu_audit.domain.parts import Offer
from jiesu_audit.domain.times import period_of, seconds_between

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime | None) -> int | None:
    """Whole microseconds since the epoch: exact, so comparisons in SQL agree with Python's."""
    if moment is None:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def periods(prefix: str, moment: datetime) -> dict[str, str]:
    return {f"{prefix}_{p}": period_of(moment, p) for p in ("month", "week", "day")}


def case_row(h: CaseHistory) -> dict[str, Any]:
    place = h.place
    district, street = place.get("district"), place.get("street")
    last = h.callbacks[-1] if h.callbacks else None
    chain, bounces = ping_pong(h)
    multi = multi_department(h)
    return {
        "case_id": h.case_id, "received_us": micros(h.received_at),
        "received_at": h.received_at.isoformat() if h.received_at else None, "category": h.category,
        "district": district, "street": street, "community": place.get("community"), "grid": place.get("grid"),
        "street_key": f"{district}/{street}" if district and street else None,
        "last_outcome": last.outcome if last else None,
        "last_callback_month": period_of(last.recorded_at, "month") if last else None,
        "chain": json.dumps(chain) if bounces else None, "bounces": bounces,
        "departments": json.dumps(multi["departments"]) if multi else None,
        "slowest_department": multi["slowest_department"] if multi else None,
        "slowest_seconds": multi["slowest_seconds"] if multi else None,
        "still_open": multi["still_open"] if multi else None,
        # pickle: audit's own state, written and read only by audit, and the quickest to load
        "state": pickle.dumps(h, protocol=pickle.HIGHEST_PROTOCOL),
        "version": h.revision,
    }


def load_state(blob: bytes) -> CaseHistory:
    return pickle.loads(blob)  # noqa: S301 - only audit's own rows (see case_row)


def offer_rows(h: CaseHistory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, breach_rows = [], []
    for o in h.offers.values():
        rows.append(_offer_row(h.case_id, o))
        if o.kind == "case":
            breach_rows += [{"case_id": h.case_id, "task_id": o.task_id, "department": o.department, "kind": o.kind,
                             **periods("offered", o.offered_at), "clock": clock} for clock in o.breaches]
    return rows, breach_rows


def _offer_row(case_id: str, o: Offer) -> dict[str, Any]:
    returned = o.outcome == "returned"
    return {"task_id": o.task_id, "case_id": case_id, "department": o.department, "kind": o.kind,
            "is_lead_case": o.is_lead_case_task(), **periods("offered", o.offered_at),
            "was_accepted": o.was_accepted, "has_accepted_at": o.accepted_at is not None, "returned": returned,
            "cancelled_undecided": o.cancelled_at is not None and o.accepted_at is None and o.returned_at is None,
            "return_reason": o.return_reason if returned else None, "decided_after": o.decided_after,
            "responded_after": o.responded_after, "completed_after": o.completed_after,
            "respond_by_us": micros(o.respond_by), "responded_us": micros(o.responded_at),
            "notified_after": seconds_between(o.offered_at, o.notified_at), "notify_attempts": o.notify_attempts,
            "notification_failures": o.notification_failures}


def warning_rows(h: CaseHistory) -> list[dict[str, Any]]:
    rows = []
    for o in h.offers.values():
        for w in o.warnings:
            rows.append({"case_id": h.case_id, "task_id": o.task_id, "department": o.department, "clock": w.clock,
                         **periods("warned", w.warned_at), "heeded": w.heeded_by(o.act_time(w.clock))})
    return rows


def ruling_rows(h: CaseHistory) -> list[dict[str, Any]]:
    district, street = h.place.get("district"), h.place.get("street")
    street_key = f"{district}/{street}" if district and street else None
    return [{"case_id": h.case_id, **periods("escalated", e.escalated_at), "street_key": street_key,
             "coordinator": e.coordinator, "ruled": e.ruled_at is not None,
             "waited_seconds": seconds_between(e.escalated_at, e.ruled_at)} for e in h.escalations]


def mark_rows(h: CaseHistory) -> list[dict[str, Any]]:
    return [{"case_id": h.case_id, "kind": m.kind, "department": m.department, **periods("at", m.at)}
            for m in h.marks]


def return_rows(h: CaseHistory) -> list[dict[str, Any]]:
    return [{"case_id": h.case_id, "from_department": r["from"], "to_department": r["to"],
             "cost_seconds": r["cost_seconds"]} for r in returns_of(h)]


def callback_rows(h: CaseHistory) -> list[dict[str, Any]]:
    return [{"case_id": h.case_id, "recorded_month": period_of(c.recorded_at, "month"), "outcome": c.outcome,
             "satisfaction": c.satisfaction, "lead_department": c.lead_department} for c in h.callbacks]


def summons_rows(h: CaseHistory) -> list[dict[str, Any]]:
    rows = []
    for w in h.whistles.values():
        for department in w.summoned:
            reported = department in w.reported_in
            rows.append({"case_id": h.case_id, "whistle_id": w.whistle_id, "department": department,
                         **periods("blown", w.blown_at), "reported_in": reported,
                         "report_in_seconds": (seconds_between(w.blown_at, w.reported_in[department]) or 0.0)
                         if reported else None, "no_show": department in w.no_shows})
    return rows


def meeting_rows(h: CaseHistory) -> list[dict[str, Any]]:
    return [{"case_id": h.case_id, "task_id": m.task_id, "owner": m.owner, **periods("recorded", m.recorded_at),
             "deadline_us": micros(m.deadline), "completed": m.completed_at is not None}
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


def rows_of(h: CaseHistory) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows for one case, by table name."""
    offer_list, breach_list = offer_rows(h)
    return {"audit_offers": offer_list, "audit_breaches": breach_list, "audit_returns": return_rows(h),
            "audit_callbacks": callback_rows(h), "audit_summons": summons_rows(h),
            "audit_meeting_tasks": meeting_rows(h), "audit_warnings": warning_rows(h),
            "audit_rulings": ruling_rows(h), "audit_marks": mark_rows(h)}
