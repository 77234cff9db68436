"""The HTTP schemas of the gateway's API (HTTP only: the domain has its own commands and events)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from jiesu_shared.catalogue.common import ReturnReason, TaskKind, TaskRole

from jiesu_gateway.disclosure import PERSONAL_STATUS_DESCRIPTION, Personal, PersonalStatus

DEPARTMENT_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"


class ProblemDocument(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://jiesu.dev/problems/invalid-transition"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    task_status: str | None = Field(default=None, description="on 409: the task's current status")
    errors: list[dict[str, Any]] | None = Field(default=None, description="on 422: each invalid field")


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring problem+json errors, for client generators."""
    described = {400: "Malformed request", 401: "Missing or invalid credentials",
                 404: "No such task (or not yours)", 409: "The task's current state does not allow this",
                 422: "Invalid body, or an Idempotency-Key reused for a different request"}
    return {s: {"model": ProblemDocument, "description": described.get(s, "Error"),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}}
            for s in statuses}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TaskRead(BaseModel):
    task_id: str
    case_id: str
    department_id: str
    role: TaskRole
    kind: TaskKind
    whistle_id: str | None = None
    status: str = Field(description="offered, accepted, responded, reported_in, completed, returned (退单; "
                                    "earlier versions of this API said `rejected`) or cancelled")
    offered_at: datetime
    updated_at: datetime
    offer: dict[str, Any] = Field(description="the offer as dispatch made it: category, summary, place, deadlines")


class TaskDetail(TaskRead):
    """One task, with the case's personal data while the task is live (lists never carry it)."""

    personal: Personal | None = Field(description="the citizen's details, fetched from intake now (each "
                                                  "disclosure is recorded there); null unless `disclosed`")
    personal_status: PersonalStatus = Field(description=PERSONAL_STATUS_DESCRIPTION)


class TaskPage(BaseModel):
    tasks: list[TaskRead]
    next_offset: int | None = Field(description="pass as `offset` for the next page; null on the last page")


class ReturnBody(_Strict):
    reason: ReturnReason
    note: str | None = Field(default=None, max_length=2000)
    suggested_department: str | None = Field(default=None, pattern=DEPARTMENT_ID)


class RespondBody(_Strict):
    note: str | None = Field(default=None, max_length=2000, description="how the citizen was contacted")


class ProgressBody(_Strict):
    note: str = Field(min_length=1, max_length=4000)
    attachments: list[HttpUrl] = Field(default_factory=list, max_length=20,
                                       description="links to photos or documents the department hosts")


class CompleteBody(_Strict):
    resolution: str = Field(min_length=1, max_length=4000, description="what was done: the resolution summary")


class ReportInBody(_Strict):
    note: str | None = Field(default=None, max_length=2000, description="who arrived where")
