"""Events produced by intake."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from jiesu_shared.catalogue.common import (
    Channel,
    Outcome,
    Place,
    RequestType,
    Satisfaction,
    SealedContact,
    UnresolvableReason,
    Urgency,
)
from jiesu_shared.catalogue.registry import Payload, event_type


class Classification(BaseModel):
    """Why the case got its type, subject and urgency: which rule matched which words (or who decided)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    rule_id: str
    matched: list[str] = []
    by: str = "rules"  # "rules", "client" (the caller named the category) or an operator's id
    taxonomy_version: str | None = None
    rules: list[RuleMatch] = []  # every rule that fired: subject, request type and urgency


class RuleMatch(BaseModel):
    """One classification rule that fired, and the words of the text that made it fire."""

    model_config = ConfigDict(frozen=True, extra="allow")

    aspect: str  # "subject", "request_type" or "urgency"
    rule_id: str
    value: str
    matched: list[str] = []


@event_type("case.received.v1")
class CaseReceived(Payload):
    case_id: str
    channel: Channel
    text: str
    category: str  # the subject code from the taxonomy, or "unclassified" for a person to triage
    place: Place
    received_at: datetime
    request_type: RequestType | None = None
    urgency: Urgency = "normal"
    classification: Classification | None = None
    contact: SealedContact | None = None  # never in clear on the log


@event_type("case.callback_due.v1")
class CallbackDue(Payload):
    """Dispatch reported the case handled (case.handled): it now waits in intake's call-back queue (回访)."""

    case_id: str
    lead_department: str
    handled_at: datetime
    resolution: str
    round: int  # 0 for the first handling, n after the n-th reopening


@event_type("case.reclassified.v1")
class CaseReclassified(Payload):
    case_id: str
    category: str
    request_type: RequestType | None = None
    urgency: Urgency = "normal"
    operator: str
    reason: str


@event_type("case.linked_as_duplicate.v1")
class CaseLinkedAsDuplicate(Payload):
    case_id: str
    duplicate_of: str
    reason: str  # e.g. "same subject at the same community within 72h"


@event_type("case.callback_recorded.v1")
class CallbackRecorded(Payload):
    """The citizen's verdict at call-back (回访)."""

    case_id: str
    outcome: Outcome
    unresolvable_reason: UnresolvableReason | None = None
    satisfaction: Satisfaction
    operator: str
    recorded_at: datetime


@event_type("case.reopened.v1")
class CaseReopened(Payload):
    case_id: str
    reason: str
    reopen_count: int


@event_type("case.withdrawn.v1")
class CaseWithdrawn(Payload):
    case_id: str
    reason: str


@event_type("case.closed.v1")
class CaseClosed(Payload):
    case_id: str
    outcome: Outcome | None  # None when withdrawn before any verdict
    satisfaction: Satisfaction | None = None
    closed_at: datetime


Classification.model_rebuild()
