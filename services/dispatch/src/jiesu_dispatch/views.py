"""What dispatch answers about cases, whistles and meetings: the documents its routes return and its commands
answer with (remembered under an Idempotency-Key), built from state the service layer holds."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.domain.meeting import Meeting, fold_meeting
from jiesu_dispatch.domain.state import CaseState
from jiesu_dispatch.handlers import Dispatcher, meeting_stream

FINISHED = ("completed", "cancelled")


class TaskRead(BaseModel):
    task_id: str
    department_id: str
    role: str
    kind: str
    status: str
    decide_by: datetime
    respond_by: datetime
    resolve_by: datetime
    report_in_by: datetime | None
    whistle_id: str | None
    meeting_id: str | None
    binding: bool


class DispatchRead(BaseModel):
    case_id: str
    status: str
    lead_department: str | None
    offered_to: list[str]
    rule: str | None
    return_count: int
    returned_by: list[str]
    tasks: list[TaskRead]


def case_read(state: CaseState) -> DispatchRead:
    tasks = [TaskRead(**{k: getattr(t, k) for k in TaskRead.model_fields}) for t in state.tasks.values()]
    return DispatchRead(case_id=state.case_id, status=state.status, lead_department=state.lead,
                        offered_to=[t.department_id for t in state.case_tasks()], rule=state.rule,
                        return_count=state.return_count, returned_by=sorted(state.returned_by), tasks=tasks)


class WhistleRead(BaseModel):
    whistle_id: str
    case_id: str
    report_in_by: datetime
    tasks: dict[str, str]  # department -> its report-in task


def whistle_read(events: Sequence[BaseModel]) -> WhistleRead:
    blown, *offers = events
    assert isinstance(blown, d.WhistleBlown)
    return WhistleRead(whistle_id=blown.whistle_id, case_id=blown.case_id, report_in_by=blown.report_in_by,
                       tasks={o.department_id: o.task_id for o in offers if isinstance(o, d.TaskOffered)})


class DecisionRead(BaseModel):
    decision_id: str
    case_id: str
    text: str
    owner_department: str
    deadline: datetime
    task_id: str
    task_status: str
    overdue: bool
    carried_over_from: str | None = None


class MeetingRead(BaseModel):
    meeting_id: str
    street_office: str | None = Field(description="the street office (街道/乡镇) that convened it, a directory id; "
                                      "null for a meeting convened before it was recorded")
    convened_by: str = Field(description="the coordinator who convened it")
    participants: list[str]
    case_ids: list[str]
    scheduled_at: datetime
    status: str
    carried_over_from: str | None
    carried_over_to: str | None
    decisions: list[DecisionRead]
    overdue_count: int


def meeting(session: Session, meeting_id: str) -> Meeting | None:
    return fold_meeting(ledger.load(session, meeting_stream(meeting_id)))


def _decisions(session: Session, dispatcher: Dispatcher, meeting: Meeting, carried_from: str | None) -> list[DecisionRead]:
    now = dispatcher.clock()
    rows = []
    for decision in meeting.decisions:
        case = dispatcher.case(session, decision.case_id)
        task = case.tasks.get(decision.task_id) if case else None
        task_status = task.status if task else "unknown"
        rows.append(DecisionRead(**decision.model_dump(include=set(DecisionRead.model_fields)), task_status=task_status,
                                 overdue=task_status not in FINISHED and decision.deadline < now,
                                 carried_over_from=carried_from))
    return rows


def meeting_read(session: Session, dispatcher: Dispatcher, found: Meeting) -> MeetingRead:
    """The meeting with each decision's task as it stands, and the open ones carried over from the last one."""
    decisions = _decisions(session, dispatcher, found, None)
    if found.carried_over_from:
        previous = meeting(session, found.carried_over_from)
        if previous is not None and previous.adjourned is not None:
            carried = set(previous.adjourned.open_task_ids)
            decisions += [d for d in _decisions(session, dispatcher, previous, previous.meeting_id)
                          if d.task_id in carried]
    return MeetingRead(meeting_id=found.meeting_id, street_office=found.street_office, convened_by=found.convened_by,
                       participants=list(found.participants), case_ids=list(found.case_ids),
                       scheduled_at=found.scheduled_at, status="adjourned" if found.adjourned else "open",
                       carried_over_from=found.carried_over_from,
                       carried_over_to=found.adjourned.carried_over_to if found.adjourned else None,
                       decisions=decisions, overdue_count=sum(d.overdue for d in decisions))
