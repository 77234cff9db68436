"""Events produced by dispatch. Case events have the case id as subject; a joint meeting's own
events (convened, adjourned) have the meeting id as subject."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jiesu_shared.catalogue.common import Place, SlaClock, TaskKind, TaskRole
from jiesu_shared.catalogue.registry import UPCASTERS, Payload, event_type


@event_type("case.dispatched.v1")
class CaseDispatched(Payload):
    case_id: str
    lead_department: str
    supporting_departments: list[str]
    rule: str  # which routing rule decided ("manual" or "ruling" when a coordinator did), for the audit
    coordinator: str | None = None
    reason: str | None = None
    sla_policy_version: str | None = None  # the SLA policy in force (a hash of its rules); none on older events


@event_type("task.offered.v1")
class TaskOffered(Payload):
    task_id: str
    case_id: str
    department_id: str
    role: TaskRole
    category: str
    summary: str
    place: Place
    decide_by: datetime
    respond_by: datetime
    resolve_by: datetime
    kind: TaskKind = "case"
    whistle_id: str | None = None
    meeting_id: str | None = None
    report_in_by: datetime | None = None
    sla_policy_version: str | None = None  # the policy that gave these deadlines (a hash of its rules)


@event_type("task.cancelled.v1")
class TaskCancelled(Payload):
    """Dispatch withdrew the task (case re-routed, withdrawn, or a supporting department released)."""

    task_id: str
    case_id: str
    department_id: str
    reason: str


@event_type("case.rerouted.v1")
class CaseRerouted(Payload):
    case_id: str
    from_department: str
    to_department: str
    reason: str  # "named by the returning department" or "next rule candidate"
    return_count: int


@event_type("case.escalated.v1")
class CaseEscalated(Payload):
    """The case needs a coordinator's ruling (审定)."""

    case_id: str
    reason: str  # "returned N times" or "nobody accepted before the decision deadline"
    return_count: int


@event_type("sla.warning.v1")
class SlaWarning(Payload):
    case_id: str
    task_id: str
    department_id: str
    clock: SlaClock
    deadline: datetime
    # Set when the warning was decided late, after its clock had stopped (in event time, after the warning's
    # moment): the warning stands for the record, but there is nothing left to remind the department of.
    clock_stopped_at: datetime | None = None


@event_type("sla.breached.v1")
class SlaBreached(Payload):
    case_id: str
    task_id: str
    department_id: str
    clock: SlaClock
    deadline: datetime


@event_type("case.handled.v1")
class CaseHandled(Payload):
    """The lead completed and every supporting department completed or was released: call the citizen back."""

    case_id: str
    lead_department: str
    handled_at: datetime
    resolution: str


@event_type("whistle.blown.v1")
class WhistleBlown(Payload):
    """吹哨: a street office summons departments to report in (报到)."""

    whistle_id: str
    case_id: str
    street_office: str
    summoned: list[str]
    report_in_by: datetime
    reason: str
    blown_by: str | None = None  # the coordinator who blew it


@event_type("whistle.no_show.v1")
class WhistleNoShow(Payload):
    whistle_id: str
    case_id: str
    department_id: str
    report_in_by: datetime


@event_type("meeting.convened.v2")
class MeetingConvened(Payload):
    """联席会议, convened by a street office (街道/乡镇): `street_office` is the convening unit (a directory id,
    named as in `whistle.blown`), `convened_by` the coordinator who convened it for that unit (a person, as
    `blown_by`, `recorded_by`, `adjourned_by` are).

    v1 (`meeting.convened.v1`) had only `convened_by`, and dispatch filled it with the coordinator's id; the
    catalogue upcasts it (below) keeping that person, with `street_office` None: the unit was never recorded."""

    meeting_id: str
    street_office: str | None  # None only for a meeting convened before v2 (and a follow-up of one)
    convened_by: str
    participants: list[str]
    case_ids: list[str]
    scheduled_at: datetime
    carried_over_from: str | None = None


def _convened_by_a_street_office(data: dict[str, Any]) -> dict[str, Any]:
    """`meeting.convened.v1` -> `meeting.convened.v2`: `convened_by` already held the person who convened it
    (the coordinator's id); which street office they convened for is not in the record, nor derivable from
    it (participants are the parties, not the convenor), so it reads as unknown rather than guessed."""
    return {"street_office": None, **data}


UPCASTERS["meeting.convened.v1"] = ("meeting.convened.v2", _convened_by_a_street_office)


@event_type("meeting.decision_recorded.v1")
class MeetingDecisionRecorded(Payload):
    meeting_id: str
    decision_id: str
    case_id: str
    text: str
    owner_department: str
    deadline: datetime
    task_id: str
    recorded_by: str | None = None


@event_type("meeting.adjourned.v1")
class MeetingAdjourned(Payload):
    meeting_id: str
    open_task_ids: list[str]
    carried_over_to: str | None = None
    adjourned_by: str | None = None


@event_type("whistle.reported_in_late.v1")
class WhistleReportedInLate(Payload):
    """A summoned department reported in after the whistle's deadline (迟到)."""

    whistle_id: str
    case_id: str
    department_id: str
    report_in_by: datetime
    reported_at: datetime
    minutes_late: float


# The department directory and the routing rules are events too (subject "directory"), so the audit
# can answer "who was responsible under the rules in force at that time".


class DirectoryEntry(Payload):
    department_id: str
    name: str
    kind: str  # government_department, street_office, community, property_firm, utility
    areas: list[str] = []  # jurisdiction: "district" or "district/street" or "district/street/community"


@event_type("directory.department_registered.v1")
class DepartmentRegistered(DirectoryEntry):
    """A department was added to the directory or its entry was changed (the latest entry wins)."""

    registered_by: str


@event_type("routing.rules_published.v1")
class RoutingRulesPublished(Payload):
    """A new routing table is in force from this event on; `table` is the whole table as published."""

    version: str
    table: dict
    published_by: str
