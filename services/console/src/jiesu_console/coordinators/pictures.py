"""Pictures where people would rather look than read: the monthly 三率 ranking per department and per street
(with the weights in force), the hand-over network of returns, delays per department (median and p90), recurring
problems by place, and the outcome mix; all from audit's analytics, drawn as SVG on the server."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiesu_shared.access.roles import ADMIN, COORDINATOR, RESEARCHER

from jiesu_console.coordinators import charts
from jiesu_console.coordinators.directory_names import department_names
from jiesu_console.guards import console_of, page_for
from jiesu_console.i18n import N_
from jiesu_console.labels import OUTCOMES
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render

router = APIRouter(prefix="/coordinator/pictures")
Analyst = page_for(COORDINATOR, ADMIN, RESEARCHER)
register(NavItem("/coordinator/pictures", N_("Pictures"), (COORDINATOR, ADMIN, RESEARCHER)))
RATES = {"response": N_("Response rate"), "resolution": N_("Resolution rate"), "satisfaction": N_("Satisfaction rate")}
DELAYS = {"time_to_decide_seconds": N_("Time to decide per department, %(month)s (hours)"),
          "time_to_respond_seconds": N_("Time to first contact per department, %(month)s (hours)"),
          "time_to_complete_seconds": N_("Time to complete per department, %(month)s (hours)")}


def _month(request: Request, month: str) -> str:
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        return datetime.now(console_of(request).zone).strftime("%Y-%m")


async def _audit(request: Request, person: Any, path: str, **params: Any) -> Any:
    return await console_of(request).upstream.call(person, "audit", "GET", f"/analytics{path}", params=params or None)


@router.get("")
async def pictures(request: Request, person: Analyst, month: str = "") -> Response:
    month = _month(request, month)
    rates = await _audit(request, person, "/three-rates", month=month)
    handovers = await _audit(request, person, "/handovers")
    delays = [r for r in (await _audit(request, person, "/departments", period="month"))["rows"]
              if r["period"] == month]
    outcomes = (await _audit(request, person, "/outcomes", month=month))["outcomes"]
    # The top 20 problems are shown, each as its count and time span: one case id of each is enough.
    recurring = (await _audit(request, person, "/recurring", limit=20, case_limit=1))["problems"]
    nodes, edges = charts.network(handovers["edges"])
    slowest = {measure: max((r[measure]["p90"] or 0 for r in delays), default=0) for measure in DELAYS}
    return render(request, "coordinators/pictures.html", month=month, rates=rates, rate_names=RATES,
                  nodes=nodes, edges=edges, ping_pong=handovers["ping_pong"], delays=delays, slowest=slowest,
                  delay_titles=DELAYS, dept=await department_names(request, person),
                  outcomes=outcomes, outcome_names=OUTCOMES, most_outcomes=max(outcomes.values(), default=0),
                  recurring=recurring, bar=charts.bar, hours=charts.hours)
