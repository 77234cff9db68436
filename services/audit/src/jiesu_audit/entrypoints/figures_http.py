"""One department's own figures (三率 and median times) for a month. The agency gateway reads them with a
service token holding the narrow `figures` role, for the department its API key names; staff who read the
analytics may read them too."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from jiesu_audit.domain.times import period_of
from jiesu_audit.entrypoints.access import FIGURE_READERS
from jiesu_audit.entrypoints.http import Service
from jiesu_audit.queries.department_figures import department_figures

router = APIRouter(prefix="/analytics", tags=["analytics"], dependencies=[FIGURE_READERS])
OptionalMonth = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                            description="YYYY-MM (UTC, as audit counts months); this month by default")]
Department = Annotated[str, Path(max_length=100)]


@router.get("/departments/{department}/figures",
            summary="One department's three rates (with its place in the ranking) and median times, for a month")
def figures(department: Department, service: Service, month: OptionalMonth = None) -> dict[str, Any]:
    now = service.clock()
    return service.ask(department_figures, service.rates_config, department=department,
                       month=month or period_of(now, "month"), as_of=now)
