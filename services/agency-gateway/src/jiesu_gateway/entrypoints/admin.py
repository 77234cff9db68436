"""Administration: registering departments, changing their webhook, rotating their credentials."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, status
from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.http.problems import Problem

from jiesu_gateway.adapters.tables import Department
from jiesu_gateway.departments import DepartmentExists, DepartmentUnknown, IssuedCredentials, wanted_types
from jiesu_gateway.entrypoints.access import AdminOnly
from jiesu_gateway.entrypoints.schemas import DEPARTMENT_ID, problems
from jiesu_gateway.messages import WEBHOOK_TYPES
from jiesu_gateway.ssrf import UnsafeWebhookTarget

router = APIRouter(prefix="/admin", tags=["administration"], dependencies=[AdminOnly],
                   responses=problems(401, 422))
WebhookType = Literal[WEBHOOK_TYPES]  # type: ignore[valid-type]


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department_id: str = Field(pattern=DEPARTMENT_ID)
    name: str = Field(min_length=1, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000, description="null: the department polls")
    event_types: list[WebhookType] = Field(default_factory=list, description="webhook types wanted; empty: all")


class DepartmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000,
                                    description="setting it (again) re-enables webhooks after a 410 Gone")
    event_types: list[WebhookType] | None = None
    webhook_enabled: bool | None = Field(default=None, strict=True)


class DepartmentRead(BaseModel):
    department_id: str
    name: str
    webhook_url: str | None
    webhook_enabled: bool
    event_types: list[str]
    created_at: datetime


class DepartmentCredentials(DepartmentRead):
    api_key: str = Field(description="shown once: send it as 'Authorization: Bearer <api_key>'")
    webhook_secret: str = Field(description="shown once: verify webhook signatures with it (Standard Webhooks)")


class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: float | None = Field(default=None, ge=0, le=30 * 86400, strict=True,
                                        description="how long the previous one keeps working; default: configured")


class RotatedApiKey(BaseModel):
    api_key: str = Field(description="shown once")
    previous_valid_until: datetime


class RotatedWebhookSecret(BaseModel):
    webhook_secret: str = Field(description="shown once; webhooks carry a signature per secret still in its grace period")
    previous_valid_until: datetime


def read_department(d: Department) -> dict[str, Any]:
    return {"department_id": d.department_id, "name": d.name, "webhook_url": d.webhook_url,
            "webhook_enabled": d.webhook_enabled, "event_types": wanted_types(d), "created_at": d.created_at}


def _unknown(department_id: str) -> Problem:
    return Problem(404, "not-found", "No such department", f"{department_id} is not registered")


def _unsafe(exc: UnsafeWebhookTarget) -> Problem:
    return Problem(422, "unsafe-webhook-url", "Webhook URL refused", str(exc))


@router.post("/departments", status_code=status.HTTP_201_CREATED, response_model=DepartmentCredentials,
             operation_id="registerDepartment", responses=problems(409, 422),
             summary="Register a department and issue its API key and webhook secret")
def register_department(body: DepartmentCreate, request: Request) -> dict[str, Any]:
    try:
        issued = request.app.state.service.departments.register(
            department_id=body.department_id, name=body.name, webhook_url=body.webhook_url,
            event_types=list(body.event_types))
    except DepartmentExists:
        raise Problem(409, "department-exists", "Department already registered",
                      f"{body.department_id} is registered already") from None
    except UnsafeWebhookTarget as exc:
        raise _unsafe(exc) from None
    return {**read_department(issued.department), "api_key": issued.api_key,
            "webhook_secret": issued.webhook_secret}


@router.get("/departments/{department_id}", response_model=DepartmentRead, operation_id="getDepartment",
            responses=problems(404), summary="A department's registration (never its credentials)")
def get_department(department_id: str, request: Request) -> dict[str, Any]:
    department = request.app.state.service.departments.get(department_id)
    if department is None:
        raise _unknown(department_id)
    return read_department(department)


@router.patch("/departments/{department_id}", response_model=DepartmentRead, operation_id="updateDepartment",
              responses=problems(404, 422), summary="Change a department's name, webhook URL or event types")
def update_department(department_id: str, body: DepartmentUpdate, request: Request) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    try:
        department = request.app.state.service.departments.update(department_id, **changes)
    except DepartmentUnknown:
        raise _unknown(department_id) from None
    except UnsafeWebhookTarget as exc:
        raise _unsafe(exc) from None
    return read_department(department)


@router.post("/departments/{department_id}/api-key/rotate", response_model=RotatedApiKey,
             operation_id="rotateApiKey", responses=problems(404, 422),
             summary="Issue a new API key; the previous one keeps working during the grace period")
def rotate_api_key(department_id: str, request: Request,
                   body: Annotated[Rotation | None, Body()] = None) -> dict[str, Any]:
    issued = rotate(request, department_id, body, "rotate_api_key")
    return {"api_key": issued.api_key, "previous_valid_until": issued.previous_valid_until}


@router.post("/departments/{department_id}/webhook-secret/rotate", response_model=RotatedWebhookSecret,
             operation_id="rotateWebhookSecret", responses=problems(404, 422),
             summary="Issue a new signing secret; webhooks also carry the old secrets' signatures during their grace periods")
def rotate_webhook_secret(department_id: str, request: Request,
                          body: Annotated[Rotation | None, Body()] = None) -> dict[str, Any]:
    issued = rotate(request, department_id, body, "rotate_webhook_secret")
    return {"webhook_secret": issued.webhook_secret, "previous_valid_until": issued.previous_valid_until}


def rotate(request: Request, department_id: str, body: Rotation | None, how: str) -> IssuedCredentials:
    grace = timedelta(seconds=body.grace_seconds) if body and body.grace_seconds is not None else None
    try:
        return getattr(request.app.state.service.departments, how)(department_id, grace)
    except DepartmentUnknown:
        raise _unknown(department_id) from None
