"""Triage: the cases no rule could classify, oldest first; the operator picks the subject and urgency."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_shared.access.roles import TRIAGE

from jiesu_console.guards import console_of, page_for
from jiesu_console.labels import URGENCIES
from jiesu_console.pages import render
from jiesu_console.refusals import sentence

router = APIRouter(prefix="/operator/triage")
Triager = page_for(TRIAGE)


@router.get("")
async def queue(request: Request, person: Triager, done: str | None = None) -> Response:
    upstream = console_of(request).upstream
    cases = await upstream.call(person, "intake", "GET", "/triage-queue")
    taxonomy = await upstream.call(person, "intake", "GET", "/taxonomy")
    return render(request, "operators/triage.html", cases=cases, subjects=[s["code"] for s in taxonomy["subjects"]],
                  urgencies=URGENCIES, done=done, problem=None)


@router.post("/{case_id}")
async def reclassify(request: Request, case_id: str, person: Triager, category: Annotated[str, Form()],
                     urgency: Annotated[str, Form()], reason: Annotated[str, Form()]) -> Response:
    upstream = console_of(request).upstream
    _, refusal = await upstream.command(person, "intake", f"/cases/{case_id}/reclassify",
                                        {"category": category, "urgency": urgency, "reason": reason})
    if refusal:
        cases = await upstream.call(person, "intake", "GET", "/triage-queue")
        taxonomy = await upstream.call(person, "intake", "GET", "/taxonomy")
        return render(request, "operators/triage.html", status=refusal.status, cases=cases, urgencies=URGENCIES,
                      subjects=[s["code"] for s in taxonomy["subjects"]], done=None, problem=sentence(refusal))
    return RedirectResponse(f"/operator/triage?done={case_id}", status_code=303)
