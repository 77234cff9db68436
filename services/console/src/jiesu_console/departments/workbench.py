"""The department workbench: its own tasks with their deadlines (overdue first), and on one task the actions
its state allows — accept, return (退单) with a reason, record first contact, report progress, complete, report
in to a whistle — through the gateway's task API with the department's own key. The citizen's contact and
exact address show only while the gateway discloses them (a live task)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_console.departments.deadlines import LIVE, due_of
from jiesu_console.guards import console_of, page_for
from jiesu_console.i18n import N_
from jiesu_console.labels import RETURN_REASONS
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render
from jiesu_console.refusals import sentence
from jiesu_console.sessions import DEPARTMENT

router = APIRouter(prefix="/department/tasks")
Department = page_for(DEPARTMENT)
register(NavItem("/department/tasks", N_("Our tasks"), (DEPARTMENT,)))
ACTIONS = {"accept": ("offered",), "return": ("offered",), "respond": ("accepted",),
           "progress": ("accepted", "responded"), "complete": ("accepted", "responded"),
           "report-in": ("offered", "accepted")}


async def _all_tasks(request: Request, person: Any) -> list[dict[str, Any]]:
    tasks, offset = [], 0
    while offset is not None and offset < 5000:  # a department's own tasks: a few pages at most
        page = await console_of(request).upstream.call(person, "gateway", "GET", "/tasks",
                                                       params={"limit": 500, "offset": offset})
        tasks += page["tasks"]
        offset = page["next_offset"]
    return tasks


@router.get("")
async def workbench(request: Request, person: Department, show: str = "live") -> Response:
    tasks = await _all_tasks(request, person)
    rows = [{"task": t, "due": due_of(t)} for t in tasks if show == "all" or t["status"] in LIVE]
    rows.sort(key=lambda r: (r["due"] is None, not (r["due"] and r["due"].overdue),
                             r["due"].deadline.isoformat() if r["due"] else r["task"]["updated_at"]))
    overdue = sum(1 for r in rows if r["due"] and r["due"].overdue)
    return render(request, "departments/workbench.html", rows=rows, show=show, overdue=overdue,
                  hidden=len(tasks) - len(rows))  # finished tasks the live view leaves out


async def _task_page(request: Request, person: Any, task_id: str, *, problem: str | None = None,
                     done: str | None = None, status: int = 200) -> Response:
    task = await console_of(request).upstream.call(person, "gateway", "GET", f"/tasks/{task_id}")
    allowed = {a for a, states in ACTIONS.items() if task["status"] in states}
    if task["kind"] != "whistle_report_in":
        allowed.discard("report-in")
    else:
        allowed -= {"return", "respond", "progress", "complete"}
    return render(request, "departments/task.html", status=status, task=task, due=due_of(task), allowed=allowed,
                  reasons=RETURN_REASONS, problem=problem, done=done)


@router.get("/{task_id}")
async def task_page(request: Request, task_id: str, person: Department, done: str | None = None) -> Response:
    return await _task_page(request, person, task_id, done=done)


async def _act(request: Request, person: Any, task_id: str, action: str, body: dict | None) -> Response:
    _, refusal = await console_of(request).upstream.command(person, "gateway", f"/tasks/{task_id}/{action}", body)
    if refusal:
        return await _task_page(request, person, task_id, problem=sentence(refusal), status=refusal.status)
    if action == "return":
        return RedirectResponse(f"/department/tasks?returned={task_id}", status_code=303)
    return RedirectResponse(f"/department/tasks/{task_id}?done={action}", status_code=303)


def _text(value: str) -> str | None:
    return value.strip() or None


@router.post("/{task_id}/accept")
async def accept(request: Request, task_id: str, person: Department) -> Response:
    return await _act(request, person, task_id, "accept", None)


@router.post("/{task_id}/return")
async def return_task(request: Request, task_id: str, person: Department, reason: Annotated[str, Form()],
                 note: Annotated[str, Form()] = "", suggested_department: Annotated[str, Form()] = "") -> Response:
    body = {"reason": reason, "note": _text(note), "suggested_department": _text(suggested_department)}
    return await _act(request, person, task_id, "return", body)


@router.post("/{task_id}/respond")
async def respond(request: Request, task_id: str, person: Department, note: Annotated[str, Form()] = "") -> Response:
    return await _act(request, person, task_id, "respond", {"note": _text(note)})


@router.post("/{task_id}/progress")
async def progress(request: Request, task_id: str, person: Department, note: Annotated[str, Form()]) -> Response:
    return await _act(request, person, task_id, "progress", {"note": note.strip()})


@router.post("/{task_id}/complete")
async def complete(request: Request, task_id: str, person: Department,
                   resolution: Annotated[str, Form()]) -> Response:
    return await _act(request, person, task_id, "complete", {"resolution": resolution.strip()})


@router.post("/{task_id}/report-in")
async def report_in(request: Request, task_id: str, person: Department,
                    note: Annotated[str, Form()] = "") -> Response:
    return await _act(request, person, task_id, "report-in", {"note": _text(note)})
