"""A case as dispatch sees it: folded from intake's facts, the gateway's facts and dispatch's own events."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.catalogue.common import Place

OPEN_TASK = ("offered", "accepted", "responded", "reported_in")
ALL_CLOCKS = ("decide", "respond", "resolve", "report_in")
# Which clocks each of a department's acts stops (the event's own time is when they stopped).
STOPS = {"accepted": ("decide",), "returned": ALL_CLOCKS, "responded": ("decide", "respond"),
         "completed": ALL_CLOCKS, "reported_in": ("decide", "respond", "report_in")}
# A task cancelled (or a case closed) with no known time stops its clocks before any deadline.
LONG_AGO = datetime.min.replace(tzinfo=UTC)
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
    stops: Mapping[str, datetime] = field(default_factory=dict)  # clock -> event time of what stopped it

    @property
    def open(self) -> bool:
        return self.status in OPEN_TASK

    def stopped_at(self, clock: str) -> datetime | None:
        """When the clock stopped (by the stopping event's own time), None while it still runs."""
        return self.stops.get(clock)

    def stopping(self, clocks: Iterable[str], at: datetime) -> Task:
        """The first event to stop a clock sets when it stopped; later ones do not move it."""
        return replace(self, stops={**{c: at for c in clocks}, **self.stops})


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

    def with_task(self, task_id: str, *, stopped_at: datetime | None = None, **changes: object) -> CaseState:
        if task_id not in self.tasks:
            return self
        task = replace(self.tasks[task_id], **changes)
        if stopped_at is not None:
            task = task.stopping(STOPS.get(task.status, ALL_CLOCKS), stopped_at)
        return replace(self, tasks={**self.tasks, task_id: task})

    def stopping_all(self, at: datetime) -> CaseState:
        """The case closed: every clock still running stops now."""
        return replace(self, tasks={k: t.stopping(ALL_CLOCKS, at) for k, t in self.tasks.items()})


def _offered(state: CaseState, e: d.TaskOffered) -> CaseState:
    task = Task(task_id=e.task_id, department_id=e.department_id, role=e.role, kind=e.kind, status="offered",
                decide_by=e.decide_by, respond_by=e.respond_by, resolve_by=e.resolve_by,
                report_in_by=e.report_in_by, whistle_id=e.whistle_id, meeting_id=e.meeting_id,
                binding=state.ruled and e.kind == "case")
    return replace(state, tasks={**state.tasks, e.task_id: task})


def _returned(state: CaseState, e: g.TaskReturned) -> CaseState:
    task = state.tasks.get(e.task_id)
    if task is None or not task.open:
        return state
    state = state.with_task(e.task_id, status="returned", stopped_at=e.returned_at)
    if task.kind != "case" or task.binding:
        return state
    return replace(state, returned_by=state.returned_by | {e.department_id},
                   return_count=state.return_count + (task.role == "lead"))


def _dispatched(state: CaseState, e: d.CaseDispatched) -> CaseState:
    return replace(state, status="open", lead=e.lead_department, rule=e.rule, ruled=e.rule == "ruling")


def evolve(state: CaseState | None, event: BaseModel, at: datetime | None = None) -> CaseState | None:
    """Fold one event in; `at` is when it happened, for events that carry no time of their own."""
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
        case i.CaseClosed():
            return replace(state.stopping_all(event.closed_at), status="closed")
        case i.CaseWithdrawn():
            return replace(state.stopping_all(at or LONG_AGO), status="closed")
        case d.CaseDispatched():
            return _dispatched(state, event)
        case d.TaskOffered():
            return _offered(state, event)
        case d.TaskCancelled():
            return state.with_task(event.task_id, status="cancelled", stopped_at=at or LONG_AGO)
        case d.CaseRerouted():
            return replace(state, lead=event.to_department) if event.reason != SUPPORT_REROUTE else state
        case d.CaseEscalated():
            return replace(state, status="escalated")
        case d.CaseHandled():
            return replace(state, status="handled")
        case d.WhistleBlown():
            whistle = Whistle(event.whistle_id, event.street_office, event.report_in_by, tuple(event.summoned))
            return replace(state, whistles={**state.whistles, event.whistle_id: whistle})
        case g.TaskReturned():
            return _returned(state, event)
    return _task_progress(state, event)


def _task_progress(state: CaseState, event: BaseModel) -> CaseState:
    task_id = getattr(event, "task_id", None)
    task = state.tasks.get(task_id) if task_id else None
    if task is None or not task.open:
        return state
    match event:
        case g.TaskAccepted():
            if task.status != "offered":
                return state
            return state.with_task(task.task_id, status="accepted", stopped_at=event.accepted_at)
        case g.TaskResponded():
            return state.with_task(task.task_id, status="responded", stopped_at=event.responded_at)
        case g.TaskCompleted():
            return state.with_task(task.task_id, status="completed", stopped_at=event.completed_at)
        case g.TaskReportedIn():
            return state.with_task(task.task_id, status="reported_in", stopped_at=event.reported_at)
    return state


def fold(events: Iterable[BaseModel | tuple[BaseModel, datetime]]) -> CaseState | None:
    """Fold events, each alone or with the time it happened (as the ledger keeps them)."""
    state: CaseState | None = None
    for item in events:
        event, at = item if isinstance(item, tuple) else (item, None)
        state = evolve(state, event, at)
    return state
