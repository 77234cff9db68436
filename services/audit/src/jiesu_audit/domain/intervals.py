"""The derived intervals of one case, as plain JSON-ready data (seconds as numbers, times in ISO 8601)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jiesu_audit.domain.history import CaseHistory, Offer
from jiesu_audit.domain.times import seconds_between


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def intervals_of(h: CaseHistory, as_of: datetime) -> dict[str, Any]:
    lead = _first_accepted_lead(h)
    return {
        "waiting_for_dispatch_seconds": seconds_between(h.received_at, h.dispatched_at),
        "flying_seconds": h.flying_seconds + (seconds_between(h.flying_since, as_of) or 0.0),
        "flying_now": h.flying_since is not None,
        "accepted_to_first_contact_seconds": lead.responded_after if lead else None,
        "accepted_to_completed_seconds": lead.completed_after if lead else None,
        "callbacks": [{"handled_at": iso(c.handled_at), "recorded_at": iso(c.recorded_at),
                       "after_handled_seconds": seconds_between(c.handled_at, c.recorded_at),
                       "outcome": c.outcome, "satisfaction": c.satisfaction, "lead_department": c.lead_department}
                      for c in h.callbacks],
        "received_to_closed_seconds": seconds_between(h.received_at, h.closed_at),
        "offers": [_offer_view(o) for o in h.offers.values()],
        "returns": returns_of(h),
        "reopenings": {"count": len(h.reopened_at), "at": [iso(t) for t in h.reopened_at]},
        "whistles": [_whistle_view(w) for w in h.whistles.values()],
        "meeting_tasks": [_meeting_view(m, as_of) for m in h.meeting_tasks.values()],
    }


def _first_accepted_lead(h: CaseHistory) -> Offer | None:
    return next((o for o in h.lead_offers() if o.accepted_at and not o.returned_at), None)


def _offer_view(o: Offer) -> dict[str, Any]:
    return {"task_id": o.task_id, "department": o.department, "role": o.role, "kind": o.kind,
            "offered_at": iso(o.offered_at), "outcome": o.outcome, "return_reason": o.return_reason,
            "decided_after_seconds": o.decided_after, "responded_after_seconds": o.responded_after,
            "completed_after_seconds": o.completed_after, "sla_breaches": sorted(o.breaches)}


def returns_of(h: CaseHistory) -> list[dict[str, Any]]:
    """Each 退单 of a lead task, with who got the case next and what the detour cost: from the
    returning department's offer to the next lead offer (None while nobody has been offered it yet)."""
    leads = h.lead_offers()
    result = []
    for i, offer in enumerate(leads):
        if offer.returned_at is None:
            continue
        following = leads[i + 1] if i + 1 < len(leads) else None
        result.append({
            "from": offer.department, "to": following.department if following else None,
            "reason": offer.return_reason, "returned_at": iso(offer.returned_at),
            "cost_seconds": seconds_between(offer.offered_at, following.offered_at if following else None)})
    return result


def _whistle_view(w: Any) -> dict[str, Any]:
    return {"whistle_id": w.whistle_id, "street_office": w.street_office, "blown_at": iso(w.blown_at),
            "summoned": list(w.summoned),
            "reported_in_after_seconds": {d: seconds_between(w.blown_at, t) for d, t in sorted(w.reported_in.items())},
            "no_shows": sorted(w.no_shows)}


def _meeting_view(m: Any, as_of: datetime) -> dict[str, Any]:
    done = m.completed_at
    overdue = m.deadline is not None and ((done or as_of) > m.deadline)
    return {"task_id": m.task_id, "meeting_id": m.meeting_id, "owner": m.owner, "deadline": iso(m.deadline),
            "completed_at": iso(done), "open": done is None, "overdue": overdue}
