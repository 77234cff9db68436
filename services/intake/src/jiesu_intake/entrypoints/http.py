"""Intake's HTTP API: translate requests into commands, nothing more."""
from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.catalogue.common import Channel, Place
from jiesu_shared.events import utc_now
from jiesu_shared.http.problems import Problem
from jiesu_shared.service import ServiceKernel, kernel_of

from jiesu_intake.domain.case import ReceiveCase
from jiesu_intake.handlers import load_case, receive_case

Kernel = Annotated[ServiceKernel, Depends(kernel_of)]
router = APIRouter(tags=["cases"])


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=4000, description="the citizen's request, in their words")
    channel: Channel = "hotline"
    category: str | None = Field(default=None, pattern=r"^[a-z_]{1,64}$", description="subject code, if known")
    place: Place


class CaseRead(BaseModel):
    case_id: str
    status: str
    category: str


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             summary="Record a citizen's request as a new case")
def create_case(body: CaseCreate, request: Request, response: Response, kernel: Kernel) -> CaseRead:
    command = ReceiveCase(case_id=str(uuid.uuid4()), channel=body.channel, text=body.text,
                          category=body.category, place=body.place, received_at=utc_now())
    envelope = receive_case(database=kernel.database, store=kernel.store, command=command)
    kernel.relay.wake_threadsafe()
    response.headers["Location"] = str(request.url_for("get_case", case_id=command.case_id))
    return CaseRead(case_id=command.case_id, status="received", category=envelope.data["category"])


@router.get("/cases/{case_id}", response_model=CaseRead, name="get_case", summary="A case as intake knows it")
def get_case(case_id: str, kernel: Kernel) -> CaseRead:
    state = load_case(database=kernel.database, store=kernel.store, case_id=case_id)
    if state is None:
        raise Problem(404, "not-found", "No such case", f"case {case_id} is unknown")
    return CaseRead(case_id=state.case_id, status=state.status, category=state.category)
