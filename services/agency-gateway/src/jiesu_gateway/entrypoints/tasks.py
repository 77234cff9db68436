"""The task API for departments: each sees and acts on its own tasks only. Routes only translate."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jiesu_shared.http.idempotency import IdempotencyKeyHeader, idempotency_key_for
from jiesu_shared.http.problems import Problem
from jiesu_shared.messagebus.problems import bus_refusals_as_problems

from jiesu_gateway.domain.task import (
    Accept,
    Command,
    Complete,
    InvalidTransition,
    ReportIn,
    ReportProgress,
    Respond,
    Return,
    TaskNotFound,
)
from jiesu_gateway.entrypoints.access import CurrentDepartment
from jiesu_gateway.entrypoints.deprecation import RETURN_ALIAS
from jiesu_gateway.entrypoints.schemas import (
    CompleteBody,
    ProgressBody,
    ReportInBody,
    RespondBody,
    ReturnBody,
    TaskDetail,
    TaskPage,
    TaskRead,
    problems,
)
from jiesu_gateway.tasks import task_document, view_of

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=problems(401, 422))
# `rejected` is what earlier versions of this API called `returned`: still accepted as a filter.
TaskStatus = Literal["offered", "accepted", "responded", "reported_in", "completed", "returned", "cancelled",
                     "rejected"]
ACTION = {"response_model": TaskRead, "responses": problems(404, 409, 422)}


def _not_found(task_id: str) -> Problem:
    return Problem(404, "not-found", "No such task", f"task {task_id} is not one of yours")


@router.get("", response_model=TaskPage, operation_id="listTasks", summary="Your tasks, oldest offer first",
            responses=problems(422))
def list_tasks(department: CurrentDepartment, request: Request,
               status: Annotated[TaskStatus | None, Query(description="e.g. `offered` to poll for new offers; "
                                                          "`rejected` (deprecated) is `returned`")] = None,
               case_id: Annotated[str | None, Query(max_length=64)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    if status == "rejected":
        status = "returned"
    tasks = request.app.state.service.tasks.list(department_id=department.department_id, status=status,
                                                 case_id=case_id, limit=limit + 1, offset=offset)
    more = len(tasks) > limit
    return {"tasks": [task_document(t) for t in tasks[:limit]], "next_offset": offset + limit if more else None}


@router.get("/{task_id}", response_model=TaskDetail, operation_id="getTask", responses=problems(404),
            summary="One of your tasks; while it is live, with the citizen's address and contact")
async def get_task(task_id: str, department: CurrentDepartment, request: Request) -> dict[str, Any]:
    service = request.app.state.service
    task = await run_in_threadpool(service.tasks.get, task_id=task_id, department_id=department.department_id)
    if task is None:
        raise _not_found(task_id)
    disclosure = await service.disclosures.for_task(view_of(task), "task_api")
    return {**task_document(task), **disclosure.fields()}


@router.post("/{task_id}/accept", operation_id="acceptTask", summary="Accept an offered task (接单)", **ACTION)
def accept_task(task_id: str, department: CurrentDepartment, request: Request,
                idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _act(request, department.department_id, task_id, Accept(), None, idempotency_key)


@router.post("/{task_id}/return", operation_id="returnTask",
             summary="Return an offered task (退单) with a reason, and who should take it if you know", **ACTION)
def return_task(task_id: str, body: ReturnBody, department: CurrentDepartment, request: Request,
                idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    command = Return(reason=body.reason, note=body.note, suggested_department=body.suggested_department)
    return _act(request, department.department_id, task_id, command, body, idempotency_key)


# The route departments integrated before 退单 had one name in the API: the same handler, marked deprecated
# here and, on every answer, by the `Deprecation` and `Link` headers (see deprecation.py).
router.add_api_route("/{task_id}/reject", return_task, methods=["POST"], operation_id="rejectTask", deprecated=True,
                     summary="Deprecated: the same as `POST /tasks/{task_id}/return`",
                     description=RETURN_ALIAS.description, **ACTION)


@router.post("/{task_id}/respond", operation_id="respondToTask",
             summary="Record first contact with the citizen (响应)", **ACTION)
def respond_to_task(task_id: str, body: RespondBody, department: CurrentDepartment, request: Request,
                    idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _act(request, department.department_id, task_id, Respond(note=body.note), body,
                idempotency_key)


@router.post("/{task_id}/progress", operation_id="reportTaskProgress",
             summary="Report progress, with attachments by URL", **ACTION)
def report_progress(task_id: str, body: ProgressBody, department: CurrentDepartment, request: Request,
                    idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    command = ReportProgress(note=body.note, attachments=tuple(str(a) for a in body.attachments))
    return _act(request, department.department_id, task_id, command, body, idempotency_key)


@router.post("/{task_id}/complete", operation_id="completeTask", summary="Complete the task with a resolution summary",
             **ACTION)
def complete_task(task_id: str, body: CompleteBody, department: CurrentDepartment, request: Request,
                  idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _act(request, department.department_id, task_id, Complete(resolution=body.resolution),
                body, idempotency_key)


@router.post("/{task_id}/report-in", operation_id="reportInToTask",
             summary="Report in (报到) to the whistle (吹哨) that summoned you", **ACTION)
def report_in(task_id: str, body: ReportInBody, department: CurrentDepartment, request: Request,
              idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
    return _act(request, department.department_id, task_id, ReportIn(note=body.note), body,
                idempotency_key)


def _act(request: Request, department_id: str, task_id: str, command: Command, body: BaseModel | None,
         key: str | None) -> JSONResponse:
    service = request.app.state.service
    idempotency = idempotency_key_for(request, f"department:{department_id}", key, body)
    try:
        with bus_refusals_as_problems():
            result = service.tasks.act(task_id=task_id, department_id=department_id, command=command,
                                       idempotency=idempotency)
    except TaskNotFound:
        raise _not_found(task_id) from None
    except InvalidTransition as exc:
        raise Problem(409, "invalid-transition", "The task cannot do that now", str(exc),
                      task_status=exc.status) from None
    return JSONResponse(result.body, status_code=result.status_code)
