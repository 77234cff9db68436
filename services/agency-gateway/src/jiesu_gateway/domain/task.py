"""A department's task, as the gateway guards it: only its department may act, and only in order.

    offered ──accept──▶ accepted ──respond──▶ responded ──complete──▶ completed
       │                   │ └──────────────complete────────────────────▲
       ├──return──▶ returned (退单)        progress: accepted, responded, reported_in (status unchanged)
       └──report_in (whistle tasks only, also from accepted)──▶ reported_in ──complete──▶ completed
    any open state ──dispatch cancels──▶ cancelled
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import BaseModel

from jiesu_shared.catalogue.common import ReturnReason, TaskKind
from jiesu_shared.catalogue.gateway import (
    TaskAccepted,
    TaskCompleted,
    TaskProgressReported,
    TaskReportedIn,
    TaskResponded,
    TaskReturned,
)

TERMINAL = frozenset({"completed", "returned", "cancelled"})
WORKING = frozenset({"accepted", "responded", "reported_in"})
# While a task is live its department has a need to know the citizen's address and contact (issue 11);
# once it returned, lost or finished the task, it has none.
LIVE = frozenset({"offered", *WORKING})


class TaskNotFound(Exception):
    """Unknown task, or another department's: the two must look the same to the caller."""


class InvalidTransition(Exception):
    def __init__(self, action: str, status: str, why: str | None = None) -> None:
        super().__init__(why or f"cannot {action} a task that is {status}")
        self.action = action
        self.status = status


@dataclass(frozen=True)
class TaskView:
    task_id: str
    case_id: str
    department_id: str
    status: str
    kind: TaskKind = "case"
    whistle_id: str | None = None


# Commands: what a department asks to do with its task.
@dataclass(frozen=True)
class Accept:
    pass


@dataclass(frozen=True)
class Return:
    reason: ReturnReason
    note: str | None = None
    suggested_department: str | None = None


@dataclass(frozen=True)
class Respond:
    note: str | None = None


@dataclass(frozen=True)
class ReportProgress:
    note: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Complete:
    resolution: str


@dataclass(frozen=True)
class ReportIn:
    note: str | None = None


Command = Accept | Return | Respond | ReportProgress | Complete | ReportIn

# Which states each command may start from.
_ALLOWED_FROM: dict[type, frozenset[str]] = {
    Accept: frozenset({"offered"}),
    Return: frozenset({"offered"}),
    Respond: frozenset({"accepted"}),
    ReportProgress: WORKING,
    Complete: WORKING,
    ReportIn: frozenset({"offered", "accepted"}),
}
_ACTION = {Accept: "accept", Return: "return", Respond: "respond to", ReportProgress: "report progress on",
           Complete: "complete", ReportIn: "report in to"}


def decide(command: Command, task: TaskView | None, *, department_id: str, now: datetime) -> BaseModel:
    """The event the command produces, or TaskNotFound / InvalidTransition."""
    if task is None or task.department_id != department_id:
        raise TaskNotFound()
    action = _ACTION[type(command)]
    if isinstance(command, ReportIn) and task.kind != "whistle_report_in":
        raise InvalidTransition(action, task.status, "only a task summoned by a whistle (吹哨) can report in")
    if task.status not in _ALLOWED_FROM[type(command)]:
        raise InvalidTransition(action, task.status)
    ids = {"task_id": task.task_id, "case_id": task.case_id, "department_id": department_id}
    match command:
        case Accept():
            return TaskAccepted(**ids, accepted_at=now)
        case Return(reason=reason, note=note, suggested_department=suggested):
            return TaskReturned(**ids, reason=reason, note=note, suggested_department=suggested, returned_at=now)
        case Respond(note=note):
            return TaskResponded(**ids, responded_at=now, note=note)
        case ReportProgress(note=note, attachments=attachments):
            return TaskProgressReported(**ids, note=note, attachments=list(attachments), reported_at=now)
        case Complete(resolution=resolution):
            return TaskCompleted(**ids, resolution=resolution, completed_at=now)
        case ReportIn(note=note):
            return TaskReportedIn(**ids, whistle_id=task.whistle_id or "", reported_at=now, note=note)
    raise TypeError(f"unknown command {command!r}")


_STATUS_AFTER: dict[type, str] = {TaskAccepted: "accepted", TaskReturned: "returned", TaskResponded: "responded",
                                  TaskCompleted: "completed", TaskReportedIn: "reported_in"}


def is_live(task: TaskView) -> bool:
    """Whether the task's department may see the case's personal data now."""
    return task.status in LIVE


def evolve(task: TaskView, event: BaseModel) -> TaskView:
    """The task after one of its events; progress reports and webhook outcomes leave the status as it was."""
    status = _STATUS_AFTER.get(type(event))
    return replace(task, status=status) if status else task


def cancel(task: TaskView) -> TaskView:
    """Dispatch withdrew the task; a finished task stays as it finished."""
    return task if task.status in TERMINAL else replace(task, status="cancelled")


def decide_accept(task: TaskView | None, *, department_id: str, now: datetime) -> TaskAccepted:
    event = decide(Accept(), task, department_id=department_id, now=now)
    assert isinstance(event, TaskAccepted)
    return event
