"""A citizen's request (诉求) becoming a case, and the case ending with the citizen's verdict (回访).

Pure deciders: each takes the case's state and a command and returns the events to append, or raises
`Refused` with the reason the command cannot apply now.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from jiesu_shared.catalogue.common import (Channel, Outcome, Place, RequestType, Satisfaction, SealedContact,
                                           UnresolvableReason, Urgency)
from jiesu_shared.catalogue.intake import (CallbackDue, CallbackRecorded, CaseClosed, CaseLinkedAsDuplicate,
                                           CaseReceived, CaseReclassified, CaseReopened, CaseWithdrawn,
                                           Classification)

from jiesu_intake.domain.classification import UNCLASSIFIED

__all__ = ["UNCLASSIFIED"]
FINISHED = ("closed", "withdrawn")
NOT_SATISFIED = ("satisfied_unresolved", "resolved_unsatisfied", "neither", "unresolvable")


class CaseAlreadyExists(Exception):
    pass


class Refused(Exception):
    """The command does not apply to the case as it stands (HTTP 409)."""


@dataclass(frozen=True)
class ReceiveCase:
    case_id: str
    channel: Channel
    text: str
    category: str | None
    place: Place
    received_at: datetime
    request_type: RequestType | None = None
    urgency: Urgency = "normal"
    classification: Classification | None = None
    contact: SealedContact | None = None


@dataclass(frozen=True)
class EarlierCase:
    """An open case about the same subject at the same place, found within the duplicate window."""

    case_id: str
    reason: str


@dataclass(frozen=True)
class CaseState:
    case_id: str
    status: str
    category: str
    request_type: str | None = None
    urgency: str = "normal"
    duplicate_of: str | None = None
    round: int = 0  # how often the case was reopened
    outcome: str | None = None
    satisfaction: str | None = None


def decide_receive(command: ReceiveCase, state: CaseState | None,
                   earlier: EarlierCase | None = None) -> list[CaseReceived | CaseLinkedAsDuplicate]:
    if state is not None:
        raise CaseAlreadyExists(command.case_id)
    received = CaseReceived(
        case_id=command.case_id, channel=command.channel, text=command.text.strip(),
        category=command.category or UNCLASSIFIED, place=command.place, received_at=command.received_at,
        request_type=command.request_type, urgency=command.urgency, classification=command.classification,
        contact=command.contact,
    )
    if earlier is None or earlier.case_id == command.case_id:
        return [received]
    return [received, CaseLinkedAsDuplicate(case_id=command.case_id, duplicate_of=earlier.case_id,
                                            reason=earlier.reason)]


def decide_reclassify(state: CaseState, *, category: str, request_type: RequestType | None,
                      urgency: Urgency, operator: str, reason: str) -> list[CaseReclassified]:
    _not_finished(state)
    if (category, request_type, urgency) == (state.category, state.request_type, state.urgency):
        return []  # already so: nothing happened
    return [CaseReclassified(case_id=state.case_id, category=category, request_type=request_type,
                             urgency=urgency, operator=operator, reason=reason)]


def decide_callback_due(state: CaseState, *, lead_department: str, handled_at: datetime,
                        resolution: str) -> list[CallbackDue]:
    """Dispatch says the case was handled. Late or repeated reports for a finished case change nothing."""
    if state.status in FINISHED or state.status == "awaiting_callback":
        return []
    return [CallbackDue(case_id=state.case_id, lead_department=lead_department, handled_at=handled_at,
                        resolution=resolution, round=state.round)]


def decide_callback(state: CaseState, *, outcome: Outcome, unresolvable_reason: UnresolvableReason | None,
                    satisfaction: Satisfaction, operator: str, now: datetime) -> list[CallbackRecorded]:
    if state.status != "awaiting_callback":
        raise Refused(f"the case is {state.status}; a call-back is recorded once dispatch reports it handled")
    if (outcome == "unresolvable") != (unresolvable_reason is not None):
        raise Refused("an unresolvable outcome needs its reason, and only it may have one")
    return [CallbackRecorded(case_id=state.case_id, outcome=outcome, unresolvable_reason=unresolvable_reason,
                             satisfaction=satisfaction, operator=operator, recorded_at=now)]


def decide_reopen(state: CaseState, *, reason: str) -> list[CaseReopened]:
    if state.status != "called_back":
        raise Refused(f"the case is {state.status}; only a case whose call-back was recorded can be reopened")
    if state.outcome not in NOT_SATISFIED and state.satisfaction != "dissatisfied":
        raise Refused("the citizen was satisfied and the problem resolved: close the case instead")
    return [CaseReopened(case_id=state.case_id, reason=reason, reopen_count=state.round + 1)]


def decide_close(state: CaseState, *, now: datetime) -> list[CaseClosed]:
    if state.status != "called_back":
        raise Refused(f"the case is {state.status}; a case closes after its call-back is recorded")
    return [_closed(state, now)]


def decide_withdraw(state: CaseState, *, reason: str, now: datetime) -> list[CaseWithdrawn | CaseClosed]:
    _not_finished(state)
    return [CaseWithdrawn(case_id=state.case_id, reason=reason),
            _closed(state, now)]


def _closed(state: CaseState, now: datetime) -> CaseClosed:
    return CaseClosed.model_validate({"case_id": state.case_id, "outcome": state.outcome,
                                      "satisfaction": state.satisfaction, "closed_at": now})


def _not_finished(state: CaseState) -> None:
    if state.status in FINISHED:
        raise Refused(f"the case is {state.status}")


def evolve(state: CaseState | None, event: object) -> CaseState | None:
    if isinstance(event, CaseReceived):
        return CaseState(case_id=event.case_id, status="received", category=event.category,
                         request_type=event.request_type, urgency=event.urgency)
    if state is None:
        return None
    if isinstance(event, CaseLinkedAsDuplicate):
        return replace(state, duplicate_of=event.duplicate_of)
    if isinstance(event, CaseReclassified):
        return replace(state, category=event.category, request_type=event.request_type, urgency=event.urgency)
    if isinstance(event, CallbackDue):
        return replace(state, status="awaiting_callback")
    if isinstance(event, CallbackRecorded):
        return replace(state, status="called_back", outcome=event.outcome, satisfaction=event.satisfaction)
    if isinstance(event, CaseReopened):
        return replace(state, status="reopened", round=event.reopen_count, outcome=None, satisfaction=None)
    if isinstance(event, CaseWithdrawn):
        return replace(state, status="withdrawn")
    if isinstance(event, CaseClosed):
        return replace(state, status="withdrawn" if state.status == "withdrawn" else "closed")
    return state
