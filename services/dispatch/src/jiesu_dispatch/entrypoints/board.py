"""The coordinators' board: counts of where open cases stand and the list behind each count, paged, read from
the board's tables (adapters/board_projection), which dispatch keeps with every commit of a case's events."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jiesu_dispatch.adapters import board_queries
from jiesu_dispatch.adapters.board_queries import Filters
from jiesu_dispatch.adapters.tables import BoardCaseRow, BoardDetailRow, utc
from jiesu_dispatch.entrypoints.access import CaseReader
from jiesu_dispatch.entrypoints.common import Service

router = APIRouter(tags=["board"])
ListName = Literal["state-received", "state-open", "state-escalated", "state-handled", "deadline-50-75",
                   "deadline-76-85", "deadline-86-95", "deadline-over-95", "deadline-breached", "ruling",
                   "returned-24h", "whistles", "no-shows", "meeting-overdue"]
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class ReturnRead(BaseModel):
    department_id: str
    reason: str
    note: str | None
    suggested_department: str | None
    returned_at: datetime


class ClockRead(BaseModel):
    task_id: str
    department_id: str
    clock: str  # decide, respond, resolve or report_in: the one now running
    deadline: datetime
    elapsed: float  # share of the clock's window gone, 1.0 or more when breached


class WhistleRead(BaseModel):
    whistle_id: str
    street_office: str
    report_in_by: datetime
    waiting_for: list[str]  # summoned departments that have not reported in
    no_shows: list[str]  # of those, the ones whose time is up


class BoardItem(BaseModel):
    case_id: str
    status: str
    category: str
    district: str
    street: str
    lead_department: str | None
    holders: list[str]
    worst_clock: ClockRead | None
    returns: list[ReturnRead]
    whistles: list[WhistleRead]
    overdue_meeting_tasks: list[ClockRead]
    updated_at: datetime


class BoardCounts(BaseModel):
    now: datetime
    counts: dict[str, int]  # one per list name: what GET /board/cases?list= opens


class BoardList(BaseModel):
    list: str
    items: list[BoardItem]
    truncated: bool  # more of the list follows this page
    total: int  # how many cases the list holds, over all pages
    offset: int


def _clock(clock: dict[str, Any], now: datetime) -> ClockRead:
    start, deadline = datetime.fromisoformat(clock["start"]), datetime.fromisoformat(clock["deadline"])
    window = (deadline - start).total_seconds()
    elapsed = 1.0 if window <= 0 else (now - start).total_seconds() / window
    return ClockRead(task_id=clock["task_id"], department_id=clock["department_id"], clock=clock["clock"],
                     deadline=deadline,
                     elapsed=round(max(elapsed, 0.0), 4) if now < deadline else max(elapsed, 1.0))


def _whistle(whistle: dict[str, Any], now: datetime) -> WhistleRead:
    report_in_by = datetime.fromisoformat(whistle["report_in_by"])
    return WhistleRead(**whistle, no_shows=whistle["waiting_for"] if report_in_by <= now else [])


def item_of(row: BoardCaseRow, shown: BoardDetailRow, now: datetime) -> BoardItem:
    """A list's entry: the projected case, with its clocks and whistles read against `now`."""
    detail = json.loads(shown.detail)
    clocks = [(c["meeting"], _clock(c, now)) for c in detail["clocks"]]
    return BoardItem(case_id=row.case_id, status=row.status, category=row.category, district=detail["district"],
                     street=row.street, lead_department=detail["lead_department"], holders=detail["holders"],
                     worst_clock=max((c for meeting, c in clocks if not meeting), key=lambda c: c.elapsed,
                                     default=None),
                     returns=[ReturnRead(**r) for r in detail["returns"]],
                     whistles=[_whistle(w, now) for w in detail["whistles"]],
                     overdue_meeting_tasks=[c for meeting, c in clocks if meeting and c.deadline <= now],
                     updated_at=utc(shown.updated_at))


Filter = Annotated[str | None, Query(max_length=100)]


@router.get("/board", response_model=BoardCounts, summary="The coordinators' board: how many cases on each list")
def board(service: Service, _reader: CaseReader, street: Filter = None, department: Filter = None,
          subject: Filter = None) -> BoardCounts:
    now = service.dispatcher.clock()
    with service.database.reading() as session:
        counts = board_queries.counts(session, now, Filters(street, department, subject))
    return BoardCounts(now=now, counts=counts)


@router.get("/board/cases", response_model=BoardList,
            summary="The cases behind one of the board's counts, a page at a time, the earliest deadline first")
def board_cases(service: Service, _reader: CaseReader,
                list_name: Annotated[ListName, Query(alias="list", description="which count's cases")] = "state-open",
                street: Filter = None, department: Filter = None, subject: Filter = None,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE) -> BoardList:
    now = service.dispatcher.clock()
    with service.database.reading() as session:
        rows, total = board_queries.page(session, list_name, now, Filters(street, department, subject),
                                         offset, limit)
    return BoardList(list=list_name, items=[item_of(r, shown, now) for r, shown in rows], truncated=offset + len(rows) < total,
                     total=total, offset=offset)
