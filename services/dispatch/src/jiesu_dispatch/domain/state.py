"""A case as dispatch sees it: folded from intake's facts, the gateway's facts and dispatch's own events."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.catalogue.common import Place

OPEN_TASK = ("offered", "accepted", "responded", "reported_in")
SUPPORT_REROUTE = "supporting department named by the returning one"


@dataclass(frozen=True)
class Task:
    task_id: str
    department_id: str
    role: str
    kind: str
    status: str  # offered, accepted, responded, completed, returned, cancelled, reported_in
    decide_by: datetime
    respond_by: datetime
    resolve_by: datetime
    report_in_by: datetime | None = None
    whistle_id: str | None = None
    meeting_id: str | None = None
    binding: bool = False  # offered by a coordinator's ruling: it cannot be returned

    @property
    def open(self) -> bool:
        return self.status in OPEN_TASK


@dataclass(frozen=True)
class Whistle:
    whistle_id: str
    street_office: str
    report_in_by: datetime
    summoned: tuple[str, ...]


@dataclass(frozen=True)
class CaseState:
    case_id: str
    category: str
    summary: str
    place: Place
    urgency: str
    status: str = "received"  # received, open, escalated, handled, closed
    lead: str | None = None
    rule: str | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    returned_by: frozenset[str] = frozenset()
    return_count: int = 0
    ruled: bool = False  # a coordinator's ruling is in force
    whistles: dict[str, Whistle] = field(default_factory=dict)
    reopen_count: int = 0

    def case_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.kind == "case"]

    def open_case_tasks(self) -> list[Task]:
        return [t for t in self.case_tasks() if t.open]

    def holders(self) -> set[str]:
        return {t.department_id for t in self.open_case_tasks()}

    def lead_task(self) -> Task | None:
        leads = [t for t in self.case_tasks() if t.role == "lead" and t.status not in ("returned", "cancelled")]
        return leads[-1] if leads else None

    def with_task(self, task_id: str, **changes: object) -> CaseState:
        if task_id not in self.tasks:
            return self
        return replace(self, tasks={**self.tasks, task_id: replace(self.tasks[task_id], **changes)})


def _offered(state: CaseState, e: d.TaskOffered) -> CaseState:
    task = Task(task_id=e.task_id, department_id=e.department_id, role=e.role, kind=e.kind, status="offered",
                decide_by=e.decide_by, respond_by=e.respond_by, resolve_by=e.resolve_by,
                report_in_by=e.report_in_by, whistle_id=e.whistle_id, meeting_id=e.meeting_id,
                binding=state.ruled and e.kind == "case")
    return replace(state, tasks={**state.tasks, e.task_id: task})


def _rejected(state: CaseState, e: g.TaskRejected) -> CaseState:
    task = state.tasks.get(e.task_id)
    if task is None or not task.open:
        return state
    state = state.with_task(e.task_id, status="returned")
    if task.kind != "case" or task.binding:
        return state
    return replace(state, returned_by=state.returned_by | {e.department_id},
                   return_count=state.return_count + (task.role == "lead"))


def _dispatched(state: CaseState, e: d.CaseDispatched) -> CaseState:
    return replace(state, status="open", lead=e.lead_department, rule=e.rule, ruled=e.rule == "ruling")


def evolve(state: CaseState | None, event: BaseModel) -> CaseState | None:
    if isinstance(event, i.CaseReceived):
        return state or CaseState(case_id=event.case_id, category=event.category, summary=event.text[:500],
                                  place=event.place, urgency=event.urgency)
    if state is None:
        return None
    match event:
        case i.CaseReclassified():
            return replace(state, category=event.category, urgency=event.urgency)
        case i.CaseReopened():
            return replace(state, status="received", reopen_count=event.reopen_count, ruled=False)
        case i.CaseWithdrawn() | i.CaseClosed():
            return replace(state, status="closed")
        case d.CaseDispatched():
            return _dispatched(state, event)
        case d.TaskOffered():
            return _offered(state, event)
        case d.TaskCancelled():
            return state.with_task(event.task_id, status="cancelled")
        case d.CaseRerouted():
            return replace(state, lead=event.to_department) if event.reason != SUPPORT_REROUTE else state
        case d.CaseEscalated():
            return replace(state, status="escalated")
        case d.CaseHandled():
            return replace(state, status="handled")
        case d.WhistleBlown():
            whistle = Whistle(event.whistle_id, event.street_office, event.report_in_by, tuple(event.summoned))
            return replace(state, whistles={**state.whistles, event.whistle_id: whistle})
        case g.TaskRejected():
            return _rejected(state, event)
    return _task_progress(state, event)


def _task_progress(state: CaseState, event: BaseModel) -> CaseState:
    task_id = getattr(event, "task_id", None)
    task = state.tasks.get(task_id) if task_id else None
    if task is None or not task.open:
        return state
    match event:
        case g.TaskAccepted():
            return state.with_task(task.task_id, status="accepted") if task.status == "offered" else state
        case g.TaskResponded():
            return state.with_task(task.task_id, status="responded")
        case g.TaskCompleted():
            return state.with_task(task.task_id, status="completed")
        case g.TaskReportedIn():
            return state.with_task(task.task_id, status="reported_in")
    return state


def fold(events: Iterable[BaseModel]) -> CaseState | None:
    state: CaseState | None = None
    for event in events:
        state = evolve(state, event)
    return state
