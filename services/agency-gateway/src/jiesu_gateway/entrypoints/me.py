"""Self-service for a department: see its registration, change its webhook, rotate its own credentials
(after a leak it need not wait for an administrator)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.http.problems import Problem

from jiesu_gateway.entrypoints.admin import (
    DepartmentRead,
    RotatedApiKey,
    RotatedWebhookSecret,
    Rotation,
    WebhookType,
    read_department,
    rotate,
)
from jiesu_gateway.entrypoints.access import CurrentDepartment
from jiesu_gateway.entrypoints.schemas import problems
from jiesu_gateway.ssrf import UnsafeWebhookTarget

router = APIRouter(prefix="/me", tags=["your department"], responses=problems(401, 422))


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    webhook_url: str | None = Field(default=None, max_length=2000,
                                    description="null: no webhook, poll instead; setting it re-enables after 410")
    event_types: list[WebhookType] | None = None


@router.get("", response_model=DepartmentRead, operation_id="getMyDepartment", summary="Your registration")
def get_me(department: CurrentDepartment) -> dict[str, Any]:
    return read_department(department)


@router.patch("", response_model=DepartmentRead, operation_id="updateMyWebhook",
              summary="Change your webhook URL or the event types you want")
def update_me(body: WebhookUpdate, department: CurrentDepartment, request: Request) -> dict[str, Any]:
    try:
        updated = request.app.state.service.departments.update(department.department_id,
                                                               **body.model_dump(exclude_unset=True))
    except UnsafeWebhookTarget as exc:
        raise Problem(422, "unsafe-webhook-url", "Webhook URL refused", str(exc)) from None
    return read_department(updated)


@router.post("/api-key/rotate", response_model=RotatedApiKey, operation_id="rotateMyApiKey",
             summary="A new API key; the one you called with keeps working during the grace period")
def rotate_my_api_key(department: CurrentDepartment, request: Request,
                      body: Annotated[Rotation | None, Body()] = None) -> dict[str, Any]:
    issued = rotate(request, department.department_id, body, "rotate_api_key")
    return {"api_key": issued.api_key, "previous_valid_until": issued.previous_valid_until}


@router.post("/webhook-secret/rotate", response_model=RotatedWebhookSecret, operation_id="rotateMyWebhookSecret",
             summary="A new signing secret; webhooks also carry the old secrets' signatures during their grace periods")
def rotate_my_webhook_secret(department: CurrentDepartment, request: Request,
                             body: Annotated[Rotation | None, Body()] = None) -> dict[str, Any]:
    issued = rotate(request, department.department_id, body, "rotate_webhook_secret")
    return {"webhook_secret": issued.webhook_secret, "previous_valid_until": issued.previous_valid_until}
