"""Webhook deliveries and their attempts: a department sees its own, an administrator anyone's."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem

from jiesu_gateway.entrypoints.access import AdminOnly, CurrentDepartment
from jiesu_gateway.entrypoints.schemas import problems

router = APIRouter(tags=["webhook deliveries"], responses=problems(401, 422))
Status = Annotated[Literal["pending", "delivered", "failed", "skipped"] | None, Query()]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


class AttemptRead(BaseModel):
    number: int
    attempted_at: datetime
    outcome: str


class DeliveryRead(BaseModel):
    webhook_id: str
    type: str
    case_id: str
    task_id: str
    status: str
    next_attempt_at: datetime | None
    last_error: str | None
    attempts: list[AttemptRead]


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryRead]


@router.get("/deliveries", response_model=DeliveryPage, operation_id="listMyDeliveries",
            summary="Webhooks sent to you, newest first, with every attempt (to debug your endpoint)")
def my_deliveries(department: CurrentDepartment, request: Request, status: Status = None,
                  case_id: Annotated[str | None, Query(max_length=64)] = None, limit: Limit = 100,
                  offset: Offset = 0) -> dict[str, Any]:
    return {"deliveries": request.app.state.service.deliveries.list(
        department_id=department.department_id, status=status, case_id=case_id, limit=limit, offset=offset)}


@router.get("/admin/departments/{department_id}/deliveries", response_model=DeliveryPage,
            operation_id="listDepartmentDeliveries", dependencies=[AdminOnly], responses=problems(404),
            tags=["administration"], summary="A department's webhook deliveries, with every attempt")
def department_deliveries(department_id: str, request: Request, status: Status = None, limit: Limit = 100,
                          offset: Offset = 0) -> dict[str, Any]:
    service = request.app.state.service
    if service.departments.get(department_id) is None:
        raise Problem(404, "not-found", "No such department", f"{department_id} is not registered")
    return {"deliveries": service.deliveries.list(department_id=department_id, status=status, limit=limit,
                                                  offset=offset)}
