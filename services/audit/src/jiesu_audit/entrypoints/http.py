"""Audit's HTTP API: every case's complete timeline, with the intervals derived from it."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem

from jiesu_audit.handlers import AuditService
from jiesu_audit.domain.actors import actor_of, department_of
from jiesu_audit.entrypoints.access import TIMELINE_READERS


async def service_of(request: Request) -> AuditService:  # async: a plain function costs a thread hop
    return request.app.state.service


Service = Annotated[AuditService, Depends(service_of)]
router = APIRouter(tags=["timelines"], dependencies=[TIMELINE_READERS])


class TimelineEvent(BaseModel):
    event_id: str
    type: str
    source: str
    time: datetime
    since_previous_seconds: float | None
    actor: str
    department: str | None
    correlation_id: str
    causation_id: str | None
    traceparent: str | None
    data: dict[str, Any]


class Timeline(BaseModel):
    case_id: str
    events: list[TimelineEvent]
    intervals: dict[str, Any]


@router.get("/cases/{case_id}/timeline", response_model=Timeline,
            summary="Every event of a case, in order, with who acted and the derived intervals")
def get_timeline(case_id: str, service: Service) -> Timeline:
    found = service.case_timeline(case_id)
    if found is None:
        raise Problem(404, "not-found", "No such case", f"no event about case {case_id} has been seen")
    entries, intervals = found
    events, previous = [], None
    for e in entries:
        data = json.loads(e.data)
        events.append(TimelineEvent(
            event_id=e.event_id, type=e.type, source=e.source, time=e.time,
            since_previous_seconds=(e.time - previous).total_seconds() if previous else None,
            actor=actor_of(e.type, e.source, data), department=department_of(data),
            correlation_id=e.correlation_id, causation_id=e.causation_id, traceparent=e.traceparent, data=data))
        previous = e.time
    return Timeline(case_id=case_id, events=events, intervals=intervals)
