"""Dispatching a received case: a lead department, supporting departments, one offer each, with deadlines."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from jiesu_shared.catalogue.dispatch import CaseDispatched, TaskOffered
from jiesu_shared.catalogue.intake import CaseReceived

from jiesu_dispatch.domain.routing import RoutingTable


@dataclass(frozen=True)
class SlaPolicy:
    decide_within: timedelta = timedelta(hours=2)
    respond_within: timedelta = timedelta(hours=24)
    resolve_within: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class DispatchState:
    case_id: str
    lead: str
    offered_to: tuple[str, ...]


def evolve(state: DispatchState | None, event: BaseModel) -> DispatchState | None:
    if isinstance(event, CaseDispatched):
        return DispatchState(case_id=event.case_id, lead=event.lead_department, offered_to=())
    if isinstance(event, TaskOffered) and state is not None:
        return DispatchState(case_id=state.case_id, lead=state.lead, offered_to=state.offered_to + (event.department_id,))
    return state


def fold(events: Iterable[BaseModel]) -> DispatchState | None:
    state: DispatchState | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide_dispatch(
    received: CaseReceived,
    state: DispatchState | None,
    *,
    routing: RoutingTable,
    sla: SlaPolicy,
    now: datetime,
    new_task_id: Callable[[], str],
) -> list[BaseModel]:
    if state is not None:
        return []  # already dispatched: a repeated notice changes nothing
    route = routing.route(received.category)
    supporting = [d for d in dict.fromkeys(route.supporting) if d != route.lead]
    events: list[BaseModel] = [CaseDispatched(
        case_id=received.case_id, lead_department=route.lead, supporting_departments=supporting,
        rule=f"{routing.version}/{route.rule_id}",
    )]
    for department, role in [(route.lead, "lead"), *((d, "supporting") for d in supporting)]:
        events.append(TaskOffered(
            task_id=new_task_id(), case_id=received.case_id, department_id=department, role=role,
            category=received.category, summary=received.text[:500], place=received.place,
            decide_by=now + sla.decide_within, respond_by=now + sla.respond_within,
            resolve_by=now + sla.resolve_within,
        ))
    return events
