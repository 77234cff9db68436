"""The task API for departments: each sees and acts on its own tasks only."""
from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem
from jiesu_shared.store import ConcurrencyError

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import InvalidTransition, TaskNotFound
from jiesu_gateway.entrypoints.auth import CurrentDepartment

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskRead(BaseModel):
    task_id: str
    case_id: str
    department_id: str
    role: str
    status: str
    offered_at: datetime
    updated_at: datetime
    offer: dict


def _read(task: Task) -> TaskRead:
    return TaskRead(task_id=task.task_id, case_id=task.case_id, department_id=task.department_id, role=task.role,
                    status=task.status, offered_at=task.offered_at, updated_at=task.updated_at,
                    offer=json.loads(task.offer))


def _not_found(task_id: str) -> Problem:
    return Problem(404, "not-found", "No such task", f"task {task_id} is not one of yours")


@router.get("/{task_id}", response_model=TaskRead, summary="One of your tasks")
def get_task(task_id: str, department: CurrentDepartment, request: Request) -> TaskRead:
    task = request.app.state.service.tasks.get(task_id=task_id, department_id=department.department_id)
    if task is None:
        raise _not_found(task_id)
    return _read(task)


@router.post("/{task_id}/accept", response_model=TaskRead, summary="Accept an offered task")
def accept_task(task_id: str, department: CurrentDepartment, request: Request) -> TaskRead:
    service = request.app.state.service
    for _ in range(3):  # a concurrent append to the task's stream (e.g. its delivery) is retried
        try:
            task = service.tasks.accept(task_id=task_id, department_id=department.department_id)
            break
        except ConcurrencyError:
            continue
        except TaskNotFound:
            raise _not_found(task_id) from None
        except InvalidTransition as exc:
            raise Problem(409, "invalid-transition", "The task cannot do that now", str(exc),
                          task_status=exc.status) from None
    else:
        raise Problem(409, "conflict", "The task changed meanwhile", "try again")
    service.kernel.relay.wake_threadsafe()
    return _read(task)
