"""A department's own figures, asked of audit for the department its API key names: the gateway holds a
service token with audit's narrow `figures` role (it reads one department's figures, nothing else), so a
department needs no staff credential and can never ask for another department's numbers."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, ValidationError

log = logging.getLogger(__name__)


class Spread(BaseModel):
    count: int = Field(description="how many tasks the time was measured on")
    median: float | None = Field(description="seconds; null when nothing was measured")
    p90: float | None = Field(description="seconds, the 90th percentile")


class ThreeRates(BaseModel):
    """Rates between 0 and 1 as audit's monthly ranking computes them (null when nothing counted)."""

    response_rate: float | None = Field(description="share of accepted lead tasks whose citizen was contacted in time")
    resolution_rate: float | None = Field(description="the call-backs' outcomes, scored by the definitions in force")
    satisfaction_rate: float | None = Field(description="the citizens' satisfaction, scored by the definitions "
                                                        "in force")
    composite: float | None = Field(description="the rates weighed by `weights`")
    counted: dict[str, int] = Field(description="how many tasks or verdicts each rate counted")
    rank: int | None = Field(description="your place in the month's ranking (1 is best); null when unranked")
    ranked: int = Field(description="how many departments the month's ranking holds")
    weights: dict[str, float] = Field(description="the weights in force")


class DepartmentFigures(BaseModel):
    department: str
    month: str = Field(description="YYYY-MM")
    three_rates: ThreeRates
    offers: int = Field(description="case tasks offered to you in the month")
    accepted: int
    returned: int = Field(description="returned (退单)")
    time_to_decide_seconds: Spread = Field(description="from the offer to accepting or returning it")
    time_to_respond_seconds: Spread = Field(description="from accepting to the first contact with the citizen")
    time_to_complete_seconds: Spread = Field(description="from accepting to completing")


class FiguresUnavailable(Exception):
    """Audit could not be asked, refused the gateway, or answered something malformed."""


class AuditFigures:
    """Audit's `GET /analytics/departments/{department}/figures`, as the service principal the token names;
    `client` is None when no audit token is configured."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self._client = client

    async def of(self, department_id: str, month: str | None) -> dict[str, Any]:
        if self._client is None:
            raise FiguresUnavailable("this gateway is not set up to read figures (JIESU_AUDIT_TOKEN)")
        try:
            response = await self._client.get(f"/analytics/departments/{quote(department_id, safe='')}/figures",
                                               params={"month": month} if month else None)
        except httpx.HTTPError as exc:
            log.warning("audit unreachable for %s's figures: %s", department_id, type(exc).__name__)
            raise FiguresUnavailable("audit did not answer") from None
        if response.status_code != 200:
            log.warning("audit answered %d to %s's figures", response.status_code, department_id)
            raise FiguresUnavailable(f"audit answered {response.status_code}")
        try:
            figures = DepartmentFigures.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("audit's figures for %s were malformed (%d errors)", department_id, exc.error_count())
            raise FiguresUnavailable("audit's answer was malformed") from None
        if figures.department != department_id:  # never pass on another department's numbers
            raise FiguresUnavailable("audit answered for another department")
        return figures.model_dump(mode="json")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
