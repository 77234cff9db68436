"""联席会议: convene, record decisions as tasks, follow them, adjourn with open tasks carried over."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from jiesu_shared.http.idempotency import IdempotencyKeyHeader
from jiesu_shared.http.problems import Problem

from jiesu_dispatch import views
from jiesu_dispatch.adapters import meeting_list
from jiesu_dispatch.entrypoints.access import CaseReader, CoordinatorId
from jiesu_dispatch.entrypoints.common import Service, answer
from jiesu_dispatch.messages import AdjournMeeting, ConveneMeeting, RecordDecision
from jiesu_dispatch.views import DecisionRead, MeetingRead

router = APIRouter(tags=["meetings"])


class MeetingCreate(BaseModel):
    # Coordinators are not tied to a street office by their identity (JIESU_STAFF, OIDC): each names the
    # one they convene for, and it must be in the directory (else 422 unknown-department).
    street_office: str = Field(min_length=1, max_length=100, description="the street office (街道/乡镇) convening it")
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


def _get(service: Service, meeting_id: str) -> MeetingRead:
    with service.database.reading() as session:
        meeting = views.meeting(session, meeting_id)
        if meeting is None:
            raise Problem(404, "meeting-not-found", "No such meeting", f"no meeting {meeting_id}")
        return views.meeting_read(session, service.dispatcher, meeting)


@router.post("/meetings", response_model=MeetingRead, status_code=status.HTTP_201_CREATED, summary="Convene a meeting")
def convene(body: MeetingCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201,
                  command=ConveneMeeting(street_office=body.street_office, convened_by=coordinator,
                                         participants=body.participants, case_ids=body.case_ids,
                                         scheduled_at=body.scheduled_at))


PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class MeetingList(BaseModel):
    meetings: list[MeetingRead]  # the latest scheduled first
    total: int  # how many meetings the filter holds, over all pages
    offset: int
    truncated: bool  # more of the list follows this page


@router.get("/meetings", response_model=MeetingList,
            summary="The meetings, the latest scheduled first, a page at a time: each with its decisions' tasks")
def list_meetings(service: Service, _reader: CaseReader,
                  meeting_status: Annotated[Literal["open", "adjourned"] | None, Query(alias="status")] = None,
                  street_office: Annotated[str | None, Query(min_length=1, max_length=100,
                                                             description="the convening street office's id")] = None,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                  limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE) -> MeetingList:
    # Latest scheduled first: what a coordinator looks for is the coming and the recent meetings; the open ones
    # of a street office are one filter away. Only the page's meetings are folded, found from the list's table.
    with service.database.reading() as session:
        ids, total = meeting_list.page(session, meeting_status, street_office, limit, offset)
        found = [views.meeting(session, meeting_id) for meeting_id in ids]
        page = [views.meeting_read(session, service.dispatcher, m) for m in found if m is not None]
    return MeetingList(meetings=page, total=total, offset=offset, truncated=offset + len(ids) < total)


@router.get("/meetings/{meeting_id}", response_model=MeetingRead, summary="A meeting, each decision's task and state")
def get_meeting(meeting_id: str, service: Service, _reader: CaseReader) -> MeetingRead:
    return _get(service, meeting_id)


@router.post("/meetings/{meeting_id}/decisions", response_model=DecisionRead, status_code=status.HTTP_201_CREATED,
             summary="Record a decision: a task for its owner department, with a deadline")
def record_decision(meeting_id: str, body: DecisionCreate, coordinator: CoordinatorId, request: Request,
                    idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201,
                  command=RecordDecision(meeting_id, case_id=body.case_id, text=body.text, owner=body.owner_department,
                                         deadline=body.deadline, recorded_by=coordinator))


@router.post("/meetings/{meeting_id}/adjourn", response_model=MeetingRead, summary="Adjourn; carry open tasks over")
def adjourn(meeting_id: str, body: AdjournCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body,
                  command=AdjournMeeting(meeting_id, carry_over_at=body.carry_over_to, coordinator=coordinator))
