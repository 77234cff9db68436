"""The events that were once only on the timeline, folded into a case's history: webhook deliveries and
failures, SLA warnings, escalations and the rulings that answer them, and events counted as they are."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jiesu_shared.catalogue import dispatch as decided
from jiesu_shared.catalogue import gateway as answered
from jiesu_shared.catalogue import intake as received

from jiesu_audit.domain.parts import Escalation, Mark, Warning
from jiesu_audit.domain.times import parse_time

# Counted events: (kind, the field naming the department concerned)
_MARKS = {received.CaseLinkedAsDuplicate: ("duplicate_linked", None),
          received.CallbackDue: ("callback_due", "lead_department"),
          decided.CaseRerouted: ("rerouted", "to_department"),
          answered.TaskProgressReported: ("progress_reported", "department_id"),
          decided.WhistleReportedInLate: ("reported_in_late", "department_id")}


def _offer(h: Any, d: dict[str, Any]) -> Any:
    return h.offers.get(d.get("task_id", ""))


def notified(h: Any, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is not None and offer.notified_at is None:
        offer.notified_at = parse_time(d.get("delivered_at")) or at
        offer.notify_attempts = d.get("attempts")


def notification_failed(h: Any, d: dict[str, Any], _at: datetime) -> None:
    if (offer := _offer(h, d)) is not None:
        offer.notification_failures += 1


def warned(h: Any, d: dict[str, Any], at: datetime) -> None:
    if (offer := _offer(h, d)) is not None:
        offer.warnings.append(Warning(clock=d.get("clock", "?"), warned_at=at, deadline=parse_time(d.get("deadline")),
                                      clock_stopped_at=parse_time(d.get("clock_stopped_at"))))


def escalated(h: Any, _d: dict[str, Any], at: datetime) -> None:
    h.escalations.append(Escalation(escalated_at=at))


def ruled(h: Any, d: dict[str, Any], at: datetime) -> None:
    """A dispatch by ruling answers the escalations still waiting."""
    if d.get("rule") != "ruling":
        return
    for e in h.escalations:
        if e.ruled_at is None:
            e.ruled_at, e.coordinator = at, d.get("coordinator")


def _marker(kind: str, department_field: str | None):  # type: ignore[no-untyped-def]
    def mark(h: Any, d: dict[str, Any], at: datetime) -> None:
        department = d.get(department_field) if department_field else None
        h.marks.append(Mark(kind=kind, at=at, department=department if isinstance(department, str) else None))
    return mark


SIGNAL_APPLIERS = {answered.TaskNotified: notified, answered.TaskNotificationFailed: notification_failed,
                   decided.SlaWarning: warned, decided.CaseEscalated: escalated,
                   **{model: _marker(kind, department) for model, (kind, department) in _MARKS.items()}}
MARK_KINDS = tuple(kind for kind, _ in _MARKS.values())
