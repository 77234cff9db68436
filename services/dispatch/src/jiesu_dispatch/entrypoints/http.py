"""Dispatch's HTTP API."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem
from jiesu_shared.service import ServiceKernel, kernel_of

from jiesu_dispatch.handlers import load_state

Kernel = Annotated[ServiceKernel, Depends(kernel_of)]
router = APIRouter(tags=["dispatch"])


class DispatchRead(BaseModel):
    case_id: str
    lead_department: str
    offered_to: list[str]


@router.get("/cases/{case_id}", response_model=DispatchRead, summary="Who a case was dispatched to")
def get_dispatch(case_id: str, kernel: Kernel) -> DispatchRead:
    with kernel.database.transaction() as session:
        state, _ = load_state(session, kernel.store, case_id)
    if state is None:
        raise Problem(404, "not-found", "No such case", f"case {case_id} has not been dispatched")
    return DispatchRead(case_id=state.case_id, lead_department=state.lead, offered_to=list(state.offered_to))
