"""Audit's HTTP API: timelines for coordinators, departments' dashboards and researchers."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem
from jiesu_shared.service import ServiceKernel, kernel_of

from jiesu_audit.projections.timeline import timeline_of

Kernel = Annotated[ServiceKernel, Depends(kernel_of)]
router = APIRouter(tags=["timelines"])


class TimelineEvent(BaseModel):
    event_id: str
    type: str
    source: str
    time: datetime
    since_previous_seconds: float | None
    correlation_id: str
    causation_id: str | None
    traceparent: str | None
    data: dict[str, Any]


class Timeline(BaseModel):
    case_id: str
    events: list[TimelineEvent]


@router.get("/cases/{case_id}/timeline", response_model=Timeline, summary="Every event of a case, in order")
def get_timeline(case_id: str, kernel: Kernel) -> Timeline:
    with kernel.database.transaction() as session:
        entries = timeline_of(session, case_id)
    if not entries:
        raise Problem(404, "not-found", "No such case", f"no event about case {case_id} has been seen")
    events, previous = [], None
    for e in entries:
        events.append(TimelineEvent(
            event_id=e.event_id, type=e.type, source=e.source, time=e.time,
            since_previous_seconds=(e.time - previous).total_seconds() if previous else None,
            correlation_id=e.correlation_id, causation_id=e.causation_id, traceparent=e.traceparent,
            data=json.loads(e.data)))
        previous = e.time
    return Timeline(case_id=case_id, events=events)
