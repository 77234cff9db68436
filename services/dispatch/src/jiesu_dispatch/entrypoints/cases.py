"""Cases: who must act, by hand dispatch, rulings (审定), whistles (吹哨), releases."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from jiesu_shared.http.idempotency import IdempotencyKeyHeader
from jiesu_shared.http.problems import Problem

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.coordination import minutes
from jiesu_dispatch.domain import commands
from jiesu_dispatch.entrypoints.access import CaseReader, CoordinatorId
from jiesu_dispatch.entrypoints.common import Service, answer
from jiesu_dispatch.messages import BlowWhistle, DispatchByHand, ReleaseTask
from jiesu_dispatch.views import DispatchRead, WhistleRead, case_read

router = APIRouter(tags=["cases"])


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
    with service.database.reading() as session:
        rows = ledger.summaries(session, case_status, limit, offset)
        return [CaseSummary.model_validate(r, from_attributes=True) for r in rows]


@router.get("/cases/{case_id}", response_model=DispatchRead, summary="Who must act on a case, and each task's state")
def get_case(case_id: str, service: Service, _reader: CaseReader) -> DispatchRead:
    with service.database.reading() as session:
        state = service.dispatcher.case(session, case_id)
    if state is None or state.status == "received":
        raise Problem(404, "not-found", "No such case", f"case {case_id} has not been dispatched")
    return case_read(state)


class AssignCreate(BaseModel):
    lead_department: str = Field(min_length=1, max_length=100)
    supporting_departments: list[str] = Field(default=[], max_length=20)
    reason: str = Field(min_length=1, max_length=1000)
    override_returns: bool = Field(default=False, strict=True)  # offer it even to a department that returned it


def _assign(request: Request, case_id: str, body: AssignCreate, coordinator: str, key: str | None,
            ruling: bool) -> JSONResponse:
    command = commands.Assign(lead=body.lead_department, supporting=tuple(body.supporting_departments), coordinator=coordinator,
                     reason=body.reason, override_returns=body.override_returns, ruling=ruling)
    return answer(request, caller=coordinator, key=key, body=body, command=DispatchByHand(case_id, command))


@router.post("/cases/{case_id}/dispatch", response_model=DispatchRead,
             summary="Dispatch by hand, overriding the routing rules, with a reason")
def dispatch_by_hand(case_id: str, body: AssignCreate, coordinator: CoordinatorId, request: Request,
                     idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _assign(request, case_id, body, coordinator, idempotency_key, ruling=False)


@router.post("/cases/{case_id}/ruling", response_model=DispatchRead,
             summary="Rule on an escalated case (审定): the assignment binds")
def rule(case_id: str, body: AssignCreate, coordinator: CoordinatorId, request: Request,
         idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _assign(request, case_id, body, coordinator, idempotency_key, ruling=True)


class WhistleCreate(BaseModel):
    street_office: str = Field(min_length=1, max_length=100)
    summoned: list[str] = Field(min_length=1, max_length=30)
    report_in_minutes: float | None = Field(default=None, gt=0, le=24 * 60, strict=True)
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/cases/{case_id}/whistle", response_model=WhistleRead, status_code=status.HTTP_201_CREATED,
             summary="吹哨: summon departments to report in")
def blow_whistle(case_id: str, body: WhistleCreate, coordinator: CoordinatorId, request: Request,
                 idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    command = commands.BlowWhistle(street_office=body.street_office, summoned=tuple(body.summoned),
                          report_in_within=minutes(body.report_in_minutes), reason=body.reason, coordinator=coordinator)
    return answer(request, caller=coordinator, key=idempotency_key, body=body, status_code=201,
                  command=BlowWhistle(case_id, command))


class ReleaseCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/cases/{case_id}/tasks/{task_id}/release", response_model=DispatchRead,
             summary="Release a supporting department from its task")
def release(case_id: str, task_id: str, body: ReleaseCreate, coordinator: CoordinatorId, request: Request,
            idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return answer(request, caller=coordinator, key=idempotency_key, body=body,
                  command=ReleaseTask(case_id, task_id, body.reason, coordinator))
