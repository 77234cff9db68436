"""联席会议: convene, record decisions as tasks, follow them, adjourn with open tasks carried over."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from jiesu_shared.http.problems import Problem

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.domain.meeting import Meeting
from jiesu_dispatch.entrypoints.access import CaseReader, CoordinatorId
from jiesu_dispatch.entrypoints.common import IdempotencyKey, Service, answer, service_of

router = APIRouter(tags=["meetings"])


class MeetingCreate(BaseModel):
    participants: list[str] = Field(min_length=1, max_length=50)
    case_ids: list[str] = Field(min_length=1, max_length=50)
    scheduled_at: datetime


class DecisionCreate(BaseModel):
    case_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    owner_department: str = Field(min_length=1, max_length=100)
    deadline: datetime


class AdjournCreate(BaseModel):
    carry_over_to: datetime | None = None  # when the follow-up meeting is; open tasks carry over to it


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
    convened_by: str
    participants: list[str]
    case_ids: list[str]
    scheduled_at: datetime
    status: str
    carried_over_from: str | None
    carried_over_to: str | None
    decisions: list[DecisionRead]
    overdue_count: int


def _decisions(session: Session, service: Service, meeting: Meeting, carried_from: str | None) -> list[DecisionRead]:
    now = service.dispatcher.clock()
    rows = []
    for decision in meeting.decisions:
        case = service.dispatcher.case(session, decision.case_id)
        task = case.tasks.get(decision.task_id) if case else None
        task_status = task.status if task else "unknown"
        rows.append(DecisionRead(**decision.model_dump(include=set(DecisionRead.model_fields)), task_status=task_status,
                                 overdue=task_status not in ("completed", "cancelled") and decision.deadline < now,
                                 carried_over_from=carried_from))
    return rows


def _read(session: Session, service: Service, meeting: Meeting) -> MeetingRead:
    decisions = _decisions(session, service, meeting, None)
    if meeting.carried_over_from:
        previous = service.coordination.meeting(session, meeting.carried_over_from)
        if previous is not None and previous.adjourned is not None:
            carried = set(previous.adjourned.open_task_ids)
            decisions += [d for d in _decisions(session, service, previous, previous.meeting_id) if d.task_id in carried]
    return MeetingRead(meeting_id=meeting.meeting_id, convened_by=meeting.convened_by,
                       participants=list(meeting.participants), case_ids=list(meeting.case_ids),
                       scheduled_at=meeting.scheduled_at, status="adjourned" if meeting.adjourned else "open",
                       carried_over_from=meeting.carried_over_from,
                       carried_over_to=meeting.adjourned.carried_over_to if meeting.adjourned else None,
                       decisions=decisions, overdue_count=sum(d.overdue for d in decisions))


def _get(service: Service, meeting_id: str) -> MeetingRead:
    with service.coordination.database.transaction() as session:
        meeting = service.coordination.meeting(session, meeting_id)
        if meeting is None:
            raise Problem(404, "meeting-not-found", "No such meeting", f"no meeting {meeting_id}")
        return _read(session, service, meeting)


def _meeting_body(service: Service, meeting_id: str | None = None) -> Callable[[Session, Any], Any]:
    def render(session: Session, result: Any) -> Any:
        found = service.coordination.meeting(session, meeting_id or result.meeting_id)
        return _read(session, service, found).model_dump(mode="json")

    return render


@router.post("/meetings", response_model=MeetingRead, status_code=status.HTTP_201_CREATED, summary="Convene a meeting")
def convene(body: MeetingCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201,
                  command=lambda coordination: coordination.convene(
                      convened_by=coordinator, participants=body.participants, case_ids=body.case_ids,
                      scheduled_at=body.scheduled_at),
                  render=_meeting_body(service_of(request)))


@router.get("/meetings", response_model=list[MeetingRead], summary="Every meeting, its decisions' tasks, overdue ones")
def list_meetings(service: Service, _reader: CaseReader) -> list[MeetingRead]:
    with service.coordination.database.transaction() as session:
        found = [service.coordination.meeting(session, s.removeprefix("meeting-"))
                 for s in ledger.streams(session, "meeting-")]
        return [_read(session, service, m) for m in found if m is not None]


@router.get("/meetings/{meeting_id}", response_model=MeetingRead, summary="A meeting, each decision's task and state")
def get_meeting(meeting_id: str, service: Service, _reader: CaseReader) -> MeetingRead:
    return _get(service, meeting_id)


@router.post("/meetings/{meeting_id}/decisions", response_model=DecisionRead, status_code=status.HTTP_201_CREATED,
             summary="Record a decision: a task for its owner department, with a deadline")
def record_decision(meeting_id: str, body: DecisionCreate, coordinator: CoordinatorId, request: Request,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    service = service_of(request)

    def render(session: Session, decision: Any) -> Any:
        view = _read(session, service, service.coordination.meeting(session, meeting_id))
        return next(d for d in view.decisions if d.decision_id == decision.decision_id).model_dump(mode="json")

    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201, render=render,
                  command=lambda coordination: coordination.record_decision(
                      meeting_id, case_id=body.case_id, text=body.text, owner=body.owner_department,
                      deadline=body.deadline, recorded_by=coordinator))


@router.post("/meetings/{meeting_id}/adjourn", response_model=MeetingRead, summary="Adjourn; carry open tasks over")
def adjourn(meeting_id: str, body: AdjournCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    service = service_of(request)

    def open_tasks(session: Session, meeting: Meeting) -> list[str]:
        return [d.task_id for d in _read(session, service, meeting).decisions
                if d.task_status not in ("completed", "cancelled")]

    return answer(request, caller=coordinator, key=idempotency_key, body=body,
                  render=_meeting_body(service, meeting_id),
                  command=lambda coordination: coordination.adjourn(
                      meeting_id, carry_over_at=body.carry_over_to, coordinator=coordinator,
                      open_task_ids=open_tasks))
