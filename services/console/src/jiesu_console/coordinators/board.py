"""The coordinators' board: live counts (htmx polls the counts fragment) from dispatch's `GET /board`, each
opening its list (`GET /board/cases?list=`); every view filters by street, department and subject."""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from jiesu_shared.access.roles import ADMIN, COORDINATOR

from jiesu_console.coordinators.directory_names import department_names
from jiesu_console.errors import error_page
from jiesu_console.guards import console_of, page_for
from jiesu_console.i18n import N_
from jiesu_console.labels import SUBJECTS
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render

router = APIRouter(prefix="/coordinator/board")
Coordinator = page_for(COORDINATOR, ADMIN)
register(NavItem("/coordinator/board", N_("Board"), (COORDINATOR, ADMIN)))
POLL_SECONDS = 10
PAGE_SIZE = 50  # cases per page of a list: the page stays small however many cases the list holds
SECTIONS = (
    (N_("Open cases by state"), (("state-received", N_("Waiting for dispatch")), ("state-open", N_("Being handled")),
                                 ("state-escalated", N_("Awaiting a ruling")), ("state-handled", N_("Handled, awaiting call-back")))),
    (N_("Nearing a deadline (share of the clock's window gone)"),
     (("deadline-50-75", N_("50–75 %%")), ("deadline-76-85", N_("76–85 %%")), ("deadline-86-95", N_("86–95 %%")),
      ("deadline-over-95", N_("over 95 %%")), ("deadline-breached", N_("Breached")))),
    (N_("Needing a coordinator"), (("ruling", N_("Awaiting a ruling, with the chain of returns")), ("returned-24h", N_("Returned in the last 24 hours")),
                                   ("whistles", N_("Whistles in progress")), ("no-shows", N_("Whistle no-shows")),
                                   ("meeting-overdue", N_("Overdue joint-meeting tasks")))),
)
LIST_NAMES = {name: title for _section, lists in SECTIONS for name, title in lists}


def _filters(street: str = "", department: str = "", subject: str = "") -> dict[str, str]:
    return {k: v.strip() for k, v in (("street", street), ("department", department), ("subject", subject)) if v.strip()}


async def _counts(request: Request, person: Any, filters: dict[str, str]) -> dict[str, Any]:
    return await console_of(request).upstream.call(person, "dispatch", "GET", "/board", params=filters)


@router.get("")
async def board(request: Request, person: Coordinator, street: str = "", department: str = "",
                subject: str = "") -> Response:
    filters = _filters(street, department, subject)
    answer = await _counts(request, person, filters)
    return render(request, "coordinators/board.html", sections=SECTIONS, counts=answer["counts"], now=answer["now"],
                  filters=filters, query=urlencode(filters), subjects=SUBJECTS, poll=POLL_SECONDS)


@router.get("/counts")
async def counts(request: Request, person: Coordinator, street: str = "", department: str = "",
                 subject: str = "") -> Response:
    """The fragment htmx swaps in every few seconds."""
    filters = _filters(street, department, subject)
    answer = await _counts(request, person, filters)
    return render(request, "coordinators/_counts.html", sections=SECTIONS, counts=answer["counts"],
                  now=answer["now"], query=urlencode(filters), poll=POLL_SECONDS)


@router.get("/lists/{name}")
async def case_list(request: Request, name: str, person: Coordinator, street: str = "", department: str = "",
                    subject: str = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    if name not in LIST_NAMES:
        return error_page(request, 404)
    filters = _filters(street, department, subject)
    answer = await console_of(request).upstream.call(person, "dispatch", "GET", "/board/cases", params={
        "list": name, **filters, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
    dept = await department_names(request, person)
    return render(request, "coordinators/board_list.html", name=name, title=LIST_NAMES[name], items=answer["items"],
                  total=answer["total"], first=answer["offset"] + 1, page=page, page_size=PAGE_SIZE,
                  more=answer["truncated"], filters=filters, query=urlencode(filters), subjects=SUBJECTS, dept=dept,
                  minutes_until=minutes_until)


def minutes_until(moment: str) -> int:
    """Whole minutes from now until `moment` (negative once it has passed): a whistle's report-in countdown."""
    return math.floor((datetime.fromisoformat(moment) - datetime.now(timezone.utc)).total_seconds() / 60)
