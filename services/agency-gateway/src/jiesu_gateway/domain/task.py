"""A department's task, as the gateway guards it: only its department may act, and only in order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jiesu_shared.catalogue.gateway import TaskAccepted


class TaskNotFound(Exception):
    """Unknown task, or another department's: the two must look the same to the caller."""


class InvalidTransition(Exception):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a task that is {status}")
        self.action = action
        self.status = status


@dataclass(frozen=True)
class TaskView:
    task_id: str
    case_id: str
    department_id: str
    status: str


def decide_accept(task: TaskView | None, *, department_id: str, now: datetime) -> TaskAccepted:
    if task is None or task.department_id != department_id:
        raise TaskNotFound()
    if task.status != "offered":
        raise InvalidTransition("accept", task.status)
    return TaskAccepted(task_id=task.task_id, case_id=task.case_id, department_id=department_id, accepted_at=now)
