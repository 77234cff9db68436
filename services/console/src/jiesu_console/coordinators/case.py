"""The case page: the whole timeline (audit), the intervals, who holds the case now (dispatch) and the
coordinator's actions that fit its state: dispatch by hand, rule on an escalation (审定), blow the whistle
(吹哨), release a supporting task."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_console.coordinators.board import Coordinator
from jiesu_console.coordinators.directory_names import department_names
from jiesu_console.coordinators.events import kind_of
from jiesu_console.guards import console_of
from jiesu_console.i18n import N_, _
from jiesu_console.pages import render
from jiesu_console.refusals import sentence
from jiesu_console.upstream import UpstreamError

router = APIRouter(prefix="/coordinator/cases")
OPEN_TASK = ("offered", "accepted", "responded", "reported_in")
INTERVALS = {"waiting_for_dispatch_seconds": N_("Waiting for dispatch"),
             "flying_seconds": N_("Flying with no owner"),
             "accepted_to_first_contact_seconds": N_("Accepted to first contact"),
             "accepted_to_completed_seconds": N_("Accepted to completed"),
             "received_to_closed_seconds": N_("Received to closed")}


async def _optional(request: Request, person: Any, service: str, path: str) -> Any:
    """A read that may not exist yet (a case not dispatched, or not yet seen by audit)."""
    try:
        return await console_of(request).upstream.call(person, service, "GET", path)
    except UpstreamError as exc:
        if exc.status != 404:
            raise
        return None


def duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes = int(seconds // 60)
    if minutes == 0:
        return _("under a minute")
    if minutes >= 1440:
        return _("%(d)d d %(h)d h %(m)d min", d=minutes // 1440, h=minutes % 1440 // 60, m=minutes % 60)
    return _("%(h)d h %(m)d min", h=minutes // 60, m=minutes % 60)


async def _case_page(request: Request, person: Any, case_id: str, *, problem: str | None = None,
                     done: str | None = None, status: int = 200) -> Response:
    case = await console_of(request).upstream.call(person, "intake", "GET", f"/cases/{case_id}")
    held = await _optional(request, person, "dispatch", f"/cases/{case_id}")
    timeline = await _optional(request, person, "audit", f"/cases/{case_id}/timeline")
    events = [{**e, "kind": kind_of(e["type"])} for e in (timeline or {}).get("events", [])]
    holders = sorted({t["department_id"] for t in (held or {}).get("tasks", []) if t["status"] in OPEN_TASK})
    return render(request, "coordinators/case.html", status=status, case=case, held=held, holders=holders, events=events,
                  intervals=(timeline or {}).get("intervals", {}), interval_names=INTERVALS, duration=duration,
                  dept=await department_names(request, person), problem=problem, done=done)


@router.get("/{case_id}")
async def case_page(request: Request, case_id: str, person: Coordinator, done: str | None = None) -> Response:
    return await _case_page(request, person, case_id, done=done)


async def _command(request: Request, person: Any, case_id: str, path: str, body: dict[str, Any],
                   done: str) -> Response:
    _, refusal = await console_of(request).upstream.command(person, "dispatch", path, body)
    if refusal:
        return await _case_page(request, person, case_id, problem=sentence(refusal), status=refusal.status)
    return RedirectResponse(f"/coordinator/cases/{case_id}?done={done}", status_code=303)


def _departments(value: str) -> list[str]:
    return [d.strip() for d in value.replace("，", ",").replace("、", ",").split(",") if d.strip()]


@router.post("/{case_id}/dispatch")
async def dispatch_by_hand(request: Request, case_id: str, person: Coordinator,
                           lead_department: Annotated[str, Form()], reason: Annotated[str, Form()],
                           supporting: Annotated[str, Form()] = "", ruling: Annotated[str, Form()] = "",
                           override_returns: Annotated[str, Form()] = "") -> Response:
    body = {"lead_department": lead_department.strip(), "supporting_departments": _departments(supporting),
            "reason": reason.strip(), "override_returns": bool(override_returns)}
    action = "ruling" if ruling else "dispatch"
    return await _command(request, person, case_id, f"/cases/{case_id}/{action}", body, action)


@router.post("/{case_id}/whistle")
async def whistle(request: Request, case_id: str, person: Coordinator, street_office: Annotated[str, Form()],
                  summoned: Annotated[str, Form()], reason: Annotated[str, Form()],
                  report_in_minutes: Annotated[str, Form()] = "") -> Response:
    body: dict[str, Any] = {"street_office": street_office.strip(), "summoned": _departments(summoned),
                            "reason": reason.strip()}
    if report_in_minutes.strip():
        try:
            body["report_in_minutes"] = float(report_in_minutes)
        except ValueError:
            body["report_in_minutes"] = report_in_minutes  # the service names the field in its refusal
    return await _command(request, person, case_id, f"/cases/{case_id}/whistle", body, "whistle")


@router.post("/{case_id}/tasks/{task_id}/release")
async def release(request: Request, case_id: str, task_id: str, person: Coordinator,
                  reason: Annotated[str, Form()]) -> Response:
    return await _command(request, person, case_id, f"/cases/{case_id}/tasks/{task_id}/release",
                          {"reason": reason.strip()}, "release")
