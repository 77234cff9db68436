"""The department directory (with each department's jurisdiction) and the routing rules, as in force now or on
a chosen date (dispatch answers both as they stood at a moment: the end of that day in the deployment's zone)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiesu_shared.access.roles import ADMIN, COORDINATOR, RESEARCHER

from jiesu_console.guards import console_of, page_for
from jiesu_console.i18n import N_
from jiesu_console.nav import NavItem, register
from jiesu_console.pages import render

router = APIRouter(prefix="/coordinator/directory")
Reader = page_for(COORDINATOR, ADMIN, RESEARCHER)
register(NavItem("/coordinator/directory", N_("Directory and routing"), (COORDINATOR, ADMIN, RESEARCHER)))
KINDS = {"government_department": N_("Government department"), "street_office": N_("Street office"),
         "community": N_("Community"), "property_firm": N_("Property firm"), "utility": N_("Utility")}


def _moment(request: Request, on: str) -> tuple[str | None, str | None]:
    """The chosen day's last moment, ISO 8601 with the zone's offset; (None, None) for now or an unreadable date."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        return None, None
    end = datetime.combine(day + timedelta(days=1), time.min, console_of(request).zone) - timedelta(microseconds=1)
    return end.isoformat(), day.isoformat()


def _rules(table: dict[str, Any]) -> list[dict[str, Any]]:
    rules = [{**r, "id": r.get("id") or r.get("rule_id")} for r in table.get("rules", [])]
    fallback = table.get("fallback")
    if fallback:
        rules.append({**fallback, "id": fallback.get("id") or fallback.get("rule_id"), "is_fallback": True})
    return rules


@router.get("")
async def directory(request: Request, person: Reader, on: str = "") -> Response:
    at, day = _moment(request, on)
    params = {"at": at} if at else None
    upstream = console_of(request).upstream
    departments = await upstream.call(person, "dispatch", "GET", "/directory/departments", params=params)
    routing = await upstream.call(person, "dispatch", "GET", "/routing-rules", params=params)
    names = {d["department_id"]: d["name"] for d in departments}
    return render(request, "coordinators/directory.html", departments=sorted(departments, key=lambda d: d["name"]),
                  routing=routing, rules=_rules(routing["table"]), day=day, kinds=KINDS,
                  dept=lambda i: names.get(i, i))
