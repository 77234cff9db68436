"""Silos, delays, the three rates and recurring problems over HTTP (JSON), for the coordinators'
console and for departments' own dashboards. `as_of` fixes "now" for deadline-dependent figures."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from jiesu_shared.http.problems import Problem

from jiesu_audit.entrypoints.access import ANALYSTS
from jiesu_audit.entrypoints.http import Service

router = APIRouter(prefix="/analytics", tags=["analytics"], dependencies=[ANALYSTS])

Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Period = Annotated[Literal["month", "week", "day"], Query()]
AsOf = Annotated[datetime | None, Query(description="'now' for open deadlines; defaults to the clock")]


def _aware(as_of: datetime | None) -> datetime | None:
    if as_of is not None and as_of.tzinfo is None:
        raise Problem(422, "validation-error", "The request is invalid", "as_of must carry a UTC offset",
                      errors=[{"field": "as_of", "location": "query", "message": "needs a UTC offset"}])
    return as_of


FromPeriod = Annotated[str | None, Query(alias="from", description="first period shown, e.g. 2026-10")]
ToPeriod = Annotated[str | None, Query(alias="to", description="last period shown, e.g. 2026-11")]


def _within(rows: list[dict[str, Any]], first: str | None, last: str | None) -> list[dict[str, Any]]:
    # period keys (2026-11, 2026-W47, 2026-11-22) sort as text in time order
    return [r for r in rows if (first is None or r["period"] >= first) and (last is None or r["period"] <= last)]


@router.get("/departments", summary="Offers, acceptance and returns by reason, times to decide/respond/complete, "
                                    "SLA breaches, whistles and joint-meeting tasks, per department and period")
def departments(service: Service, period: Period = "month", as_of: AsOf = None, first: FromPeriod = None,
                last: ToPeriod = None) -> dict[str, Any]:
    return {"period": period, "rows": _within(service.departments(period, _aware(as_of)), first, last)}


@router.get("/departments/{department}", summary="One department's own dashboard")
def department(department: str, service: Service, period: Period = "month", as_of: AsOf = None,
               first: FromPeriod = None, last: ToPeriod = None) -> dict[str, Any]:
    rows = [r for r in _within(service.departments(period, _aware(as_of)), first, last)
            if r["department"] == department]
    network = service.handovers()
    if not rows:
        raise Problem(404, "not-found", "No such department", f"no task was ever offered to {department}")
    edges = [e for e in network["edges"] if department in (e["from"], e["to"])]
    return {"department": department, "period": period, "rows": rows, "handovers": edges}


@router.get("/handovers", summary="Who returned cases to whom, ping-pong chains, multi-department cases")
def handovers(service: Service) -> dict[str, Any]:
    return service.handovers()


@router.get("/three-rates", summary="Response, resolution and satisfaction rates per department and street, ranked")
def rates(service: Service, month: Month, as_of: AsOf = None) -> dict[str, Any]:
    return service.three_rates(month, _aware(as_of))


@router.get("/definitions", summary="The configured definitions and weights of the three rates")
def definitions(service: Service) -> dict[str, Any]:
    return service.rates_config


@router.get("/outcomes", summary="The citizens' last verdicts in the five outcome categories")
def outcomes(service: Service, month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None
             ) -> dict[str, Any]:
    return {"month": month, "outcomes": service.outcomes(month)}


@router.get("/recurring", summary="The same subject at the same place within a window (未诉先办), ranked")
def recurring(service: Service, window_days: Annotated[int | None, Query(ge=1, le=366)] = None,
              min_cases: Annotated[int | None, Query(ge=2, le=1000)] = None,
              level: Literal["street", "community", "grid"] | None = None) -> dict[str, Any]:
    return {"problems": service.recurring(window_days, min_cases, level)}
