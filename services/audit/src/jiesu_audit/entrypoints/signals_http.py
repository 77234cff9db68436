"""Figures from webhook deliveries, SLA warnings, escalations and counted events, over HTTP (JSON)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from jiesu_audit.entrypoints.access import ANALYSTS
from jiesu_audit.entrypoints.analytics_http import (Department, FromPeriod, Period, RowLimit, RowOffset, ToPeriod,
                                                   page_of, period_keys)
from jiesu_audit.entrypoints.http import Service
from jiesu_audit.queries import signals

router = APIRouter(prefix="/analytics", tags=["analytics"], dependencies=[ANALYSTS])
FromMonth = Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
ToMonth = Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Street = Annotated[str | None, Query(min_length=3, max_length=401, pattern=r"^[^/]+/[^/]+$",
                                     description="only this street's escalations: district/street")]
Coordinator = Annotated[str | None, Query(min_length=1, max_length=200,
                                          description="only the escalations this coordinator ruled")]


@router.get("/deliveries", summary="Webhook deliveries per department and period: delivered, time to "
                                   "acknowledgement, attempts, deliveries given up (paged)")
def deliveries(service: Service, period: Period = "month", first: FromPeriod = None, last: ToPeriod = None,
               department: Department = None, limit: RowLimit = 1000, offset: RowOffset = 0) -> dict[str, Any]:
    first, last = period_keys(period, first, last)
    rows = service.ask(signals.deliveries, period=period, first=first, last=last, department=department)
    return {"period": period, **page_of(rows, limit, offset)}


@router.get("/sla-warnings", summary="SLA warnings per department, period and clock, and how many were heeded "
                                     "(the act came after the warning, by the deadline; paged)")
def sla_warnings(service: Service, period: Period = "month", first: FromPeriod = None, last: ToPeriod = None,
                 department: Department = None, limit: RowLimit = 1000, offset: RowOffset = 0) -> dict[str, Any]:
    first, last = period_keys(period, first, last)
    rows = service.ask(signals.sla_warnings, period=period, first=first, last=last, department=department)
    return {"period": period, **page_of(rows, limit, offset)}


@router.get("/rulings", summary="Time cases waited for a coordinator's ruling (审定), per street and coordinator")
def rulings(service: Service, first: FromMonth = None, last: ToMonth = None, street: Street = None,
            coordinator: Coordinator = None) -> dict[str, Any]:
    return service.ask(signals.awaiting_rulings, first=first, last=last, street=street, coordinator=coordinator)


@router.get("/counted", summary="Duplicates linked, call-backs due, reroutes, progress reports and late "
                                "report-ins per period (and department; paged)")
def counted(service: Service, period: Period = "month", first: FromPeriod = None, last: ToPeriod = None,
            department: Department = None, limit: RowLimit = 1000, offset: RowOffset = 0) -> dict[str, Any]:
    first, last = period_keys(period, first, last)
    rows = service.ask(signals.counted, period=period, first=first, last=last, department=department)
    return {"period": period, **page_of(rows, limit, offset)}
