"""Record a call: the operator types what the citizen says and where; the classification and any possible
duplicate are shown (intake's `POST /cases/preview`, which records nothing) before the case is saved."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_shared.access.roles import INTAKE

from jiesu_console.guards import console_of, page_for
from jiesu_console.labels import CHANNELS
from jiesu_console.pages import render
from jiesu_console.refusals import sentence
from jiesu_console.upstream import UpstreamError

router = APIRouter(prefix="/operator/calls")
Operator = page_for(INTAKE)


def _call(channel: str, text: str, district: str, street: str, community: str, address: str) -> dict[str, Any]:
    # blanks stay blank: intake names each missing field, and the page says which in the person's words
    place = {"district": district.strip(), "street": street.strip(), "community": community.strip() or None,
             "address": address.strip() or None}
    return {"channel": channel, "text": text, "place": {k: v for k, v in place.items() if v is not None}}




@router.get("/new")
async def new_call(request: Request, _person: Operator) -> Response:
    return render(request, "operators/record.html", channels=CHANNELS, values={})


@router.post("/preview")
async def preview(request: Request, person: Operator, channel: Annotated[str, Form()] = "hotline",
                  text: Annotated[str, Form()] = "", district: Annotated[str, Form()] = "",
                  street: Annotated[str, Form()] = "", community: Annotated[str, Form()] = "", address: Annotated[str, Form()] = "") -> Response:
    """An htmx fragment: what intake would make of the call, and the save button."""
    body = _call(channel, text, district, street, community, address)
    try:
        found = await console_of(request).upstream.call(person, "intake", "POST", "/cases/preview", json=body)
    except UpstreamError as exc:
        if exc.status != 422:
            raise
        return render(request, "operators/_preview.html", found=None, problem=sentence(exc), status=200)
    return render(request, "operators/_preview.html", found=found, problem=None)


@router.post("")
async def save(request: Request, person: Operator, channel: Annotated[str, Form()], text: Annotated[str, Form()],
               district: Annotated[str, Form()], street: Annotated[str, Form()],
               community: Annotated[str, Form()] = "", address: Annotated[str, Form()] = "",
               contact_name: Annotated[str, Form()] = "", contact_phone: Annotated[str, Form()] = "") -> Response:
    body = _call(channel, text, district, street, community, address)
    contact = {k: v.strip() for k, v in (("name", contact_name), ("phone", contact_phone)) if v.strip()}
    if contact:
        body["contact"] = contact
    case, refusal = await console_of(request).upstream.command(person, "intake", "/cases", body)
    if refusal:
        values = {"channel": channel, "text": text, "district": district, "street": street, "community": community,
                  "address": address, "contact_name": contact_name, "contact_phone": contact_phone}
        return render(request, "operators/record.html", status=refusal.status, channels=CHANNELS, values=values,
                      problem=sentence(refusal))
    return RedirectResponse(f"/operator/calls/{case['case_id']}", status_code=303)


@router.get("/{case_id}")
async def recorded(request: Request, case_id: str, person: Operator) -> Response:
    case = await console_of(request).upstream.call(person, "intake", "GET", f"/cases/{case_id}")
    return render(request, "operators/recorded.html", case=case)
