"""The department's own figures: its three rates (三率) with its place in the month's ranking, and its median
times to decide, to contact the citizen and to complete — this month and a chosen month side by side. The
gateway reads them from audit for the department the session's API key names; the console never asks audit."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiesu_console.coordinators.case import duration
from jiesu_console.departments.workbench import Department  # its navigation entry comes first
from jiesu_console.guards import console_of
from jiesu_console.i18n import N_
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render
from jiesu_console.sessions import DEPARTMENT
from jiesu_console.upstream import UpstreamError

router = APIRouter(prefix="/department/figures")
register(NavItem("/department/figures", N_("Our figures"), (DEPARTMENT,)))
RATES = {"response": N_("Response rate"), "resolution": N_("Resolution rate"), "satisfaction": N_("Satisfaction rate")}
TIMES = {"time_to_decide_seconds": N_("Median time to accept or return"),
         "time_to_respond_seconds": N_("Median time to contact the citizen"),
         "time_to_complete_seconds": N_("Median time to complete")}
COUNTS = {"offers": N_("Tasks offered"), "accepted": N_("Accepted"), "returned": N_("Returned")}
UNAVAILABLE = (502, 503)  # the gateway, or audit behind it, cannot answer now


def months_shown(chosen: str, now: datetime) -> list[str]:
    """This month, and the chosen one before it when it is another (a month that cannot be read is ignored)."""
    current = now.strftime("%Y-%m")
    try:
        picked = datetime.strptime(chosen, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        picked = current
    return [current] if picked == current else [picked, current]


def span(seconds: float | None) -> str:
    return duration(seconds) or "—"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@router.get("")
async def figures(request: Request, person: Department, month: str = "") -> Response:
    console = console_of(request)
    months = months_shown(month, datetime.now(console.zone))
    try:
        shown = [await console.upstream.call(person, "gateway", "GET", "/figures", params={"month": m})
                 for m in months]
    except UpstreamError as exc:
        if exc.status not in UNAVAILABLE:
            raise
        return render(request, "departments/figures.html", status=503, shown=[], months=months, chosen=months[0],
                      current=months[-1], unavailable=True, rate_names=RATES, time_names=TIMES, count_names=COUNTS,
                      span=span, percent=percent)
    return render(request, "departments/figures.html", shown=shown, months=months, chosen=months[0],
                  current=months[-1], unavailable=False, rate_names=RATES, time_names=TIMES, count_names=COUNTS,
                  span=span, percent=percent)
