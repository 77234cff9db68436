"""The call-back desk (回访): the queue of handled cases, the citizen's verdict (five outcomes, three
satisfaction levels), then reopening an unresolved or unsatisfying case or closing it."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_shared.access.roles import CALLBACK

from jiesu_console.guards import console_of, page_for
from jiesu_console.labels import OUTCOMES, SATISFACTIONS, UNRESOLVABLE_REASONS
from jiesu_console.pages import render
from jiesu_console.refusals import sentence

router = APIRouter(prefix="/operator/callbacks")
Desk = page_for(CALLBACK)


@router.get("")
async def queue(request: Request, person: Desk, done: str | None = None, action: str | None = None) -> Response:
    entries = await console_of(request).upstream.call(person, "intake", "GET", "/callback-queue")
    return render(request, "operators/callbacks.html", entries=entries, done=done, action=action)


async def _case_page(request: Request, person: Desk, case_id: str, *, problem: str | None = None,
                     status: int = 200) -> Response:
    case = await console_of(request).upstream.call(person, "intake", "GET", f"/cases/{case_id}")
    return render(request, "operators/callback_case.html", status=status, case=case, outcomes=OUTCOMES,
                  satisfactions=SATISFACTIONS, reasons=UNRESOLVABLE_REASONS, problem=problem)


@router.get("/{case_id}")
async def case_page(request: Request, case_id: str, person: Desk) -> Response:
    return await _case_page(request, person, case_id)


async def _act(request: Request, person: Desk, case_id: str, action: str, body: dict | None) -> Response:
    _, refusal = await console_of(request).upstream.command(person, "intake", f"/cases/{case_id}/{action}", body)
    if refusal:
        return await _case_page(request, person, case_id, problem=sentence(refusal), status=refusal.status)
    if action == "callback":
        return RedirectResponse(f"/operator/callbacks/{case_id}", status_code=303)
    return RedirectResponse(f"/operator/callbacks?done={case_id}&action={action}", status_code=303)


@router.post("/{case_id}/verdict")
async def verdict(request: Request, case_id: str, person: Desk, outcome: Annotated[str, Form()],
                  satisfaction: Annotated[str, Form()], unresolvable_reason: Annotated[str, Form()] = "") -> Response:
    body = {"outcome": outcome, "satisfaction": satisfaction}
    if outcome == "unresolvable" and unresolvable_reason:
        body["unresolvable_reason"] = unresolvable_reason
    return await _act(request, person, case_id, "callback", body)


@router.post("/{case_id}/reopen")
async def reopen(request: Request, case_id: str, person: Desk, reason: Annotated[str, Form()]) -> Response:
    return await _act(request, person, case_id, "reopen", {"reason": reason})


@router.post("/{case_id}/close")
async def close(request: Request, case_id: str, person: Desk) -> Response:
    return await _act(request, person, case_id, "close", None)
