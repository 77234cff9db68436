"""Administration: registering departments."""
from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.http.problems import Problem

from jiesu_gateway.departments import DepartmentExists
from jiesu_gateway.entrypoints.auth import AdminOnly
from jiesu_gateway.ssrf import UnsafeWebhookTarget

router = APIRouter(prefix="/admin", tags=["administration"], dependencies=[AdminOnly])


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    name: str = Field(min_length=1, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000)


class DepartmentCredentials(BaseModel):
    department_id: str
    name: str
    webhook_url: str | None
    api_key: str = Field(description="shown once: send it as 'Authorization: Bearer <api_key>'")
    webhook_secret: str = Field(description="shown once: verify webhook signatures with it (Standard Webhooks)")


@router.post("/departments", status_code=status.HTTP_201_CREATED, response_model=DepartmentCredentials,
             summary="Register a department and issue its API key and webhook secret")
def register_department(body: DepartmentCreate, request: Request) -> DepartmentCredentials:
    try:
        issued = request.app.state.service.departments.register(
            department_id=body.department_id, name=body.name, webhook_url=body.webhook_url)
    except DepartmentExists:
        raise Problem(409, "department-exists", "Department already registered",
                      f"{body.department_id} is registered already") from None
    except UnsafeWebhookTarget as exc:
        raise Problem(422, "unsafe-webhook-url", "Webhook URL refused", str(exc)) from None
    return DepartmentCredentials(department_id=body.department_id, name=body.name, webhook_url=body.webhook_url,
                                 api_key=issued.api_key, webhook_secret=issued.webhook_secret)
