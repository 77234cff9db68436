"""Cases: who must act, by hand dispatch, rulings (审定), whistles (吹哨), releases."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from jiesu_shared.http.problems import Problem

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.coordination import minutes
from jiesu_dispatch.domain.commands import Assign, BlowWhistle
from jiesu_dispatch.domain.state import CaseState
from jiesu_dispatch.entrypoints.access import CaseReader, CoordinatorId
from jiesu_dispatch.entrypoints.common import IdempotencyKey, Service, answer, service_of

router = APIRouter(tags=["cases"])


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


def read(state: CaseState) -> DispatchRead:
    tasks = [TaskRead(**{k: getattr(t, k) for k in TaskRead.model_fields}) for t in state.tasks.values()]
    return DispatchRead(case_id=state.case_id, status=state.status, lead_department=state.lead,
                        offered_to=[t.department_id for t in state.case_tasks()], rule=state.rule,
                        return_count=state.return_count, returned_by=sorted(state.returned_by), tasks=tasks)


class CaseSummary(BaseModel):
    case_id: str
    status: str
    lead_department: str | None
    category: str
    return_count: int
    updated_at: datetime


@router.get("/cases", response_model=list[CaseSummary],
            summary="Cases by where they stand, e.g. ?status=escalated for those awaiting a ruling (审定)")
def list_cases(service: Service, _reader: CaseReader, case_status: Annotated[str | None, Query(
                   alias="status", pattern="^(open|escalated|handled|closed)$")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> list[CaseSummary]:
    with service.coordination.database.transaction() as session:
        rows = ledger.summaries(session, case_status, limit, offset)
        return [CaseSummary.model_validate(r, from_attributes=True) for r in rows]


@router.get("/cases/{case_id}", response_model=DispatchRead, summary="Who must act on a case, and each task's state")
def get_case(case_id: str, service: Service, _reader: CaseReader) -> DispatchRead:
    with service.coordination.database.transaction() as session:
        state = service.dispatcher.case(session, case_id)
    if state is None or state.status == "received":
        raise Problem(404, "not-found", "No such case", f"case {case_id} has not been dispatched")
    return read(state)


class AssignCreate(BaseModel):
    lead_department: str = Field(min_length=1, max_length=100)
    supporting_departments: list[str] = Field(default=[], max_length=20)
    reason: str = Field(min_length=1, max_length=1000)
    override_returns: bool = Field(default=False, strict=True)  # offer it even to a department that returned it


def _case_body(service: Service, case_id: str) -> Callable[[Session, Any], Any]:
    def render(session: Session, _: Any) -> Any:
        state = service.dispatcher.case(session, case_id)
        return read(state).model_dump(mode="json") if state is not None else None

    return render


def _assign(request: Request, case_id: str, body: AssignCreate, coordinator: str, key: str | None,
            ruling: bool) -> JSONResponse:
    command = Assign(lead=body.lead_department, supporting=tuple(body.supporting_departments), coordinator=coordinator,
                     reason=body.reason, override_returns=body.override_returns, ruling=ruling)
    return answer(request, caller=coordinator, key=key, body=body,
                  command=lambda coordination: coordination.assign(case_id, command),
                  render=_case_body(service_of(request), case_id))


@router.post("/cases/{case_id}/dispatch", response_model=DispatchRead,
             summary="Dispatch by hand, overriding the routing rules, with a reason")
def dispatch_by_hand(case_id: str, body: AssignCreate, coordinator: CoordinatorId, request: Request,
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return _assign(request, case_id, body, coordinator, idempotency_key, ruling=False)


@router.post("/cases/{case_id}/ruling", response_model=DispatchRead,
             summary="Rule on an escalated case (审定): the assignment binds")
def rule(case_id: str, body: AssignCreate, coordinator: CoordinatorId, request: Request,
         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return _assign(request, case_id, body, coordinator, idempotency_key, ruling=True)


class WhistleCreate(BaseModel):
    street_office: str = Field(min_length=1, max_length=100)
    summoned: list[str] = Field(min_length=1, max_length=30)
    report_in_minutes: float | None = Field(default=None, gt=0, le=24 * 60, strict=True)
    reason: str = Field(min_length=1, max_length=1000)


class WhistleRead(BaseModel):
    whistle_id: str
    case_id: str
    report_in_by: datetime
    tasks: dict[str, str]  # department -> its report-in task


def _whistle_body(session: Session, events: Any) -> Any:
    blown, *offers = events
    return WhistleRead(whistle_id=blown.whistle_id, case_id=blown.case_id, report_in_by=blown.report_in_by,
                       tasks={o.department_id: o.task_id for o in offers}).model_dump(mode="json")


@router.post("/cases/{case_id}/whistle", response_model=WhistleRead, status_code=status.HTTP_201_CREATED,
             summary="吹哨: summon departments to report in")
def blow_whistle(case_id: str, body: WhistleCreate, coordinator: CoordinatorId, request: Request,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    command = BlowWhistle(street_office=body.street_office, summoned=tuple(body.summoned),
                          report_in_within=minutes(body.report_in_minutes), reason=body.reason, coordinator=coordinator)
    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201,
                  command=lambda coordination: coordination.whistle(case_id, command), render=_whistle_body)


class ReleaseCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/cases/{case_id}/tasks/{task_id}/release", response_model=DispatchRead,
             summary="Release a supporting department from its task")
def release(case_id: str, task_id: str, body: ReleaseCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body,
                  command=lambda coordination: coordination.release(case_id, task_id, body.reason, coordinator),
                  render=_case_body(service_of(request), case_id))
