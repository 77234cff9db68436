"""Joint meetings (联席会议): convene, record each decision as a task for an owner department with a deadline,
follow every task to done (overdue ones stand out; the decisions table refreshes itself), adjourn with the open
tasks carried over, and a printable minutes view. Dispatch keeps the meetings; this only shows and asks."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_shared.access.roles import ADMIN, COORDINATOR

from jiesu_console.coordinators.board import Coordinator
from jiesu_console.coordinators.case import _departments
from jiesu_console.coordinators.directory_names import department_names
from jiesu_console.guards import console_of
from jiesu_console.i18n import N_
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render
from jiesu_console.refusals import sentence

router = APIRouter(prefix="/coordinator/meetings")
register(NavItem("/coordinator/meetings", N_("Joint meetings"), (COORDINATOR, ADMIN)))


def local_input(request: Request, value: str) -> str | None:
    """A `datetime-local` field's value, read in the deployment's zone, as ISO 8601 with its offset."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # the service refuses it, naming the field
    return (moment if moment.tzinfo else moment.replace(tzinfo=console_of(request).zone)).isoformat()


async def _call(request: Request, person: Any, method: str, path: str, body: Any = None) -> Any:
    return await console_of(request).upstream.call(person, "dispatch", method, path, json=body)


PAGE_SIZE = 50  # meetings per page: a city's street offices convene thousands a year
STATES = ("open", "adjourned")


def _filters(status: str, street_office: str) -> dict[str, str]:
    """The filters in force, as dispatch and the page's links take them (an unknown state is no filter)."""
    found = {"status": status if status in STATES else "", "street_office": street_office.strip()[:100]}
    return {name: value for name, value in found.items() if value}


@router.get("")
async def meetings(request: Request, person: Coordinator,
                   meeting_status: Annotated[str, Query(alias="status", max_length=20)] = "",
                   street_office: Annotated[str, Query(max_length=200)] = "",
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    return await _list_page(request, person, _filters(meeting_status, street_office), page)


async def _list_page(request: Request, person: Any, filters: dict[str, str], page: int = 1, *,
                     problem: str | None = None, status: int = 200) -> Response:
    answer = await console_of(request).upstream.call(person, "dispatch", "GET", "/meetings", params={
        **filters, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
    return render(request, "coordinators/meetings.html", status=status, meetings=answer["meetings"],
                  total=answer["total"], first=answer["offset"] + 1, page=page, page_size=PAGE_SIZE,
                  more=answer["truncated"], filters=filters, query=urlencode(filters), states=STATES, problem=problem,
                  dept=await department_names(request, person))


@router.post("")
async def convene(request: Request, person: Coordinator, participants: Annotated[str, Form()],
                  case_ids: Annotated[str, Form()], scheduled_at: Annotated[str, Form()],
                  street_office: Annotated[str, Form()]) -> Response:
    # The street office convening it: coordinators are not tied to one, so each names it (dispatch checks it)
    body = {"street_office": street_office.strip(), "participants": _departments(participants),
            "case_ids": _departments(case_ids),
            "scheduled_at": local_input(request, scheduled_at)}
    meeting, refusal = await console_of(request).upstream.command(person, "dispatch", "/meetings", body)
    if refusal:
        return await _list_page(request, person, {}, problem=sentence(refusal), status=refusal.status)
    return RedirectResponse(f"/coordinator/meetings/{meeting['meeting_id']}", status_code=303)


async def _meeting_page(request: Request, person: Any, meeting_id: str, template: str = "coordinators/meeting.html",
                        *, problem: str | None = None, done: str | None = None, status: int = 200) -> Response:
    meeting = await _call(request, person, "GET", f"/meetings/{meeting_id}")
    return render(request, template, status=status, meeting=meeting, problem=problem, done=done,
                  dept=await department_names(request, person))


@router.get("/{meeting_id}")
async def meeting_page(request: Request, meeting_id: str, person: Coordinator, done: str | None = None) -> Response:
    return await _meeting_page(request, person, meeting_id, done=done)


@router.get("/{meeting_id}/decisions")
async def decisions(request: Request, meeting_id: str, person: Coordinator) -> Response:
    """The decisions table alone: htmx refreshes it so a task done or overdue shows without reloading."""
    return await _meeting_page(request, person, meeting_id, "coordinators/_decisions.html")


@router.get("/{meeting_id}/minutes")
async def minutes(request: Request, meeting_id: str, person: Coordinator) -> Response:
    return await _meeting_page(request, person, meeting_id, "coordinators/minutes.html")


async def _command(request: Request, person: Any, meeting_id: str, action: str, body: dict[str, Any]) -> Response:
    path = f"/meetings/{meeting_id}/{action}"
    _, refusal = await console_of(request).upstream.command(person, "dispatch", path, body)
    if refusal:
        return await _meeting_page(request, person, meeting_id, problem=sentence(refusal), status=refusal.status)
    return RedirectResponse(f"/coordinator/meetings/{meeting_id}?done={action}", status_code=303)


@router.post("/{meeting_id}/decisions")
async def record_decision(request: Request, meeting_id: str, person: Coordinator, case_id: Annotated[str, Form()],
                          text: Annotated[str, Form()], owner_department: Annotated[str, Form()],
                          deadline: Annotated[str, Form()]) -> Response:
    body = {"case_id": case_id, "text": text.strip(), "owner_department": owner_department.strip(),
            "deadline": local_input(request, deadline)}
    return await _command(request, person, meeting_id, "decisions", body)


@router.post("/{meeting_id}/adjourn")
async def adjourn(request: Request, meeting_id: str, person: Coordinator,
                  carry_over_to: Annotated[str, Form()] = "") -> Response:
    return await _command(request, person, meeting_id, "adjourn", {"carry_over_to": local_input(request, carry_over_to)})
