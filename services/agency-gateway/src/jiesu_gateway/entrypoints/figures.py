"""Your own figures (三率 and median times) for a month, for a department signed in with its API key. The
department is the one the key names, never a parameter: no key reads another department's numbers."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from jiesu_shared.http.problems import Problem

from jiesu_gateway.entrypoints.access import CurrentDepartment
from jiesu_gateway.entrypoints.schemas import problems
from jiesu_gateway.figures import DepartmentFigures, FiguresUnavailable

router = APIRouter(prefix="/figures", tags=["your department"], responses=problems(401, 422))
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                    description="YYYY-MM, in the city's time zone as audit counts months; "
                                                "this month by default")]
UNAVAILABLE = {503: {**problems(503)[503], "description": "audit cannot be asked just now: retry later"}}


@router.get("", response_model=DepartmentFigures, operation_id="getMyFigures", responses=UNAVAILABLE,
            summary="Your three rates (三率), your place in the ranking and your median times, for a month")
async def get_my_figures(department: CurrentDepartment, request: Request, month: Month = None) -> dict[str, Any]:
    try:
        return await request.app.state.service.figures.of(department.department_id, month)
    except FiguresUnavailable as exc:
        raise Problem(503, "figures-unavailable", "Your figures cannot be read just now",
                      f"{exc}; try again shortly", headers={"Retry-After": "30"}) from None
