"""Silos, delays, the three rates and recurring problems over HTTP (JSON), for the coordinators'
console and for departments' own dashboards. `as_of` fixes "now" for deadline-dependent figures."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from jiesu_shared.http.problems import Problem

from jiesu_audit.entrypoints.access import ANALYSTS
from jiesu_audit.entrypoints.http import Service
from jiesu_audit.queries.rankings import research_rankings
from jiesu_audit.queries.recurring import LEVELS

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
# A period key as audit writes it (domain.times.period_of): keys compare as text, so a key of another shape
# would narrow to nothing or to everything without a word.
_PERIOD_KEYS = {"month": (re.compile(r"\d{4}-(0[1-9]|1[0-2])"), "a month as 2026-11"),
                "week": (re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])"), "an ISO week as 2026-W47"),
                "day": (re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"), "a day as 2026-11-22")}


def period_keys(period: str, first: str | None, last: str | None) -> tuple[str | None, str | None]:
    """`from` and `to` when each is a key of `period`'s shape; else a 422 that says which shape it takes."""
    shape, example = _PERIOD_KEYS[period]
    wrong = [{"field": name, "location": "query", "message": f"{example} (period={period})"}
             for name, key in (("from", first), ("to", last)) if key is not None and not shape.fullmatch(key)]
    if wrong:
        raise Problem(422, "validation-error", "The request is invalid",
                      f"from and to are keys of period={period}: {example}", errors=wrong)
    return first, last
# A row per unit and period grows with the log (days over years): answered a page at a time.
RowLimit = Annotated[int, Query(ge=1, le=10_000, description="at most this many rows")]
RowOffset = Annotated[int, Query(ge=0, description="rows to skip")]


def page_of(rows: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """One page of an answer's rows, in their order, and how many there are in all."""
    return {"rows": rows[offset:offset + limit], "page": {"total": len(rows), "limit": limit, "offset": offset}}


@router.get("/departments", summary="Offers, acceptance and returns by reason, times to decide/respond/complete, "
                                    "SLA breaches, whistles and joint-meeting tasks, per department and period "
                                    "(paged)")
def departments(service: Service, period: Period = "month", as_of: AsOf = None, first: FromPeriod = None,
                last: ToPeriod = None, limit: RowLimit = 1000, offset: RowOffset = 0) -> dict[str, Any]:
    first, last = period_keys(period, first, last)
    return {"period": period, **page_of(service.departments(period, _aware(as_of), first, last), limit, offset)}


@router.get("/departments/{department}", summary="One department's own dashboard (from= and to=: its rows and the "
                                                "hand-overs of the returns made within those periods)")
def department(department: str, service: Service, period: Period = "month", as_of: AsOf = None,
               first: FromPeriod = None, last: ToPeriod = None) -> dict[str, Any]:
    first, last = period_keys(period, first, last)
    rows = service.departments(period, _aware(as_of), first, last, department)
    if not rows:
        raise Problem(404, "not-found", "No such department", f"no task was ever offered to {department}")
    return {"department": department, "period": period, "rows": rows,
            "handovers": service.edges_of(department, period, first, last)}


Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many cases in each list")]
Offset = Annotated[int, Query(ge=0, description="cases of each list to skip")]


@router.get("/handovers", summary="Who returned cases to whom (from= and to=: the returns made within those periods), "
                                   "ping-pong chains, multi-department cases (paged)")
def handovers(service: Service, limit: Limit = 100, offset: Offset = 0, period: Period = "month",
              first: FromPeriod = None, last: ToPeriod = None) -> dict[str, Any]:
    return service.handovers(limit, offset, period, *period_keys(period, first, last))


@router.get("/three-rates", summary="Response, resolution and satisfaction rates per department and street, ranked")
def rates(service: Service, month: Month, as_of: AsOf = None) -> dict[str, Any]:
    return service.three_rates(month, _aware(as_of))


MinCount = Annotated[int | None, Query(ge=1, le=1_000_000, description="counted fewer times: listed, not ranked "
                                                                       "(default 30)")]
Confidence = Annotated[float | None, Query(ge=0.5, le=0.999, description="default 0.95")]
Resamples = Annotated[int | None, Query(ge=100, le=20_000, description="bootstrap resamples (default 2000)")]
Seed = Annotated[int | None, Query(ge=0, le=2**32 - 1, description="the bootstrap's seed (default 15)")]


@router.get("/rankings", summary="The three rates with counts and confidence intervals (Wilson; a seeded bootstrap "
                                 "for the composite), a minimum count to be ranked, and response time between and "
                                 "within streets")
def rankings(service: Service, month: Month, as_of: AsOf = None, min_count: MinCount = None,
             confidence: Confidence = None, resamples: Resamples = None, seed: Seed = None) -> dict[str, Any]:
    return service.ask(research_rankings, service.rates_config, month=month, as_of=_aware(as_of) or service.clock(),
                       min_count=min_count, confidence=confidence, resamples=resamples, seed=seed)


@router.get("/definitions", summary="The configured definitions and weights of the three rates")
def definitions(service: Service) -> dict[str, Any]:
    return service.rates_config


Department = Annotated[str | None, Query(min_length=1, max_length=200, description="only this department's rows")]
PlaceName = Annotated[str | None, Query(min_length=1, max_length=200, description="only what happened here")]


def place_within(district: str | None, street: str | None) -> tuple[str, ...]:
    """`district=` alone, or with `street=` within it: the names a place filter narrows to."""
    if street is not None and district is None:
        raise Problem(422, "validation-error", "The request is invalid", "a street is named within its district",
                      errors=[{"field": "district", "location": "query", "message": "needed with street"}])
    return tuple(name for name in (district, street) if name is not None)


@router.get("/outcomes", summary="The citizens' last verdicts in the five outcome categories (department=: the cases "
                                 "whose last verdict was about its work as lead; district= and street= within it: "
                                 "the cases received there)")
def outcomes(service: Service, month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
             department: Department = None, district: PlaceName = None, street: PlaceName = None) -> dict[str, Any]:
    within = place_within(district, street)
    return {"month": month, "outcomes": service.outcomes(month, department, within)}


RecurringLevel = Literal["street", "community", "grid"]
WindowDays = Annotated[int | None, Query(ge=1, le=366)]
CaseLimit = Annotated[int, Query(ge=1, le=1000, description="at most this many case ids in each problem; the rest "
                                                             "from /analytics/recurring/cases")]


@router.get("/recurring", summary="The same subject at the same place within a window (未诉先办), ranked (paged; "
                                  "each problem lists the first case_limit of its cases; district= and street= "
                                  "narrow it to a place)")
def recurring(service: Service, window_days: WindowDays = None,
              min_cases: Annotated[int | None, Query(ge=2, le=1000)] = None, level: RecurringLevel | None = None,
              limit: Limit = 100, offset: Offset = 0, case_limit: CaseLimit = 100, district: PlaceName = None,
              street: PlaceName = None) -> dict[str, Any]:
    within = place_within(district, street)
    problems, total = service.recurring(window_days, min_cases, level, limit, offset, case_limit, within)
    return {"problems": problems, "page": {"total": total, "limit": limit, "offset": offset}}


Place = Annotated[str, Query(min_length=3, max_length=803, description="as a problem's place, its names joined by "
                                                                     "'/': district/street[/community[/grid]]")]
_LEVEL_OF = {len(names): level for level, names in LEVELS.items()}


def _level_of(place: str) -> tuple[str, tuple[str, ...]]:
    """The level a place names (by how many names it has) and its names."""
    names = tuple(place.split("/"))
    if len(names) not in _LEVEL_OF or not all(names):
        raise Problem(422, "validation-error", "The request is invalid", "place is district/street, "
                      "district/street/community or district/street/community/grid",
                      errors=[{"field": "place", "location": "query", "message": "2 to 4 names joined by '/'"}])
    return _LEVEL_OF[len(names)], names


@router.get("/recurring/cases", summary="One recurring problem's cases, paged: the densest window of a subject at "
                                        "a place, as /analytics/recurring finds it at the place's level")
def recurring_cases(service: Service, category: Annotated[str, Query(min_length=1, max_length=200)], place: Place,
                    window_days: WindowDays = None, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    level, names = _level_of(place)
    found = service.recurring_cases(category, names, window_days, level, limit, offset)
    if found is None:
        raise Problem(404, "not-found", "No such subject at this place", f"no {category} case was received at {place}")
    return {**found, "page": {"total": found["cases"], "limit": limit, "offset": offset}}
