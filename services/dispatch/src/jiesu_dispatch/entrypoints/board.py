"""The coordinators' board: counts of where open cases stand and the list behind each count, read from
dispatch's ledger (every case not closed, folded as the commands fold it). Read-only; no state of its own."""
from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g

from jiesu_dispatch.adapters.tables import CaseSummaryRow, LedgerRow, utc
from jiesu_dispatch.domain.state import CaseState, Task, evolve
from jiesu_dispatch.entrypoints.access import CaseReader
from jiesu_dispatch.entrypoints.common import Service
from jiesu_dispatch.handlers import case_stream

router = APIRouter(tags=["board"])
DEADLINE_BUCKETS = ("50-75", "76-85", "86-95", "over-95", "breached")
ListName = Literal["state-received", "state-open", "state-escalated", "state-handled", "deadline-50-75",
                   "deadline-76-85", "deadline-86-95", "deadline-over-95", "deadline-breached", "ruling",
                   "returned-24h", "whistles", "no-shows", "meeting-overdue"]
RETURNED_WITHIN = timedelta(hours=24)
CHUNK = 500  # stream ids per query: well under SQLite's bound-parameter limit
MAX_ITEMS = 500


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
    truncated: bool


@dataclass
class _Case:
    state: CaseState
    offered_at: dict[str, datetime] = field(default_factory=dict)
    returns: list[ReturnRead] = field(default_factory=list)


def _running_clock(task: Task) -> tuple[str, datetime] | None:
    if not task.open:
        return None
    if task.kind == "whistle_report_in":
        return ("report_in", task.report_in_by) if task.status != "reported_in" and task.report_in_by else None
    if task.kind == "meeting_decision":
        return "resolve", task.resolve_by
    return {"offered": ("decide", task.decide_by), "accepted": ("respond", task.respond_by)}.get(
        task.status, ("resolve", task.resolve_by))


def _clock(case: _Case, task: Task, now: datetime) -> ClockRead | None:
    running = _running_clock(task)
    if running is None:
        return None
    clock, deadline = running
    start = case.offered_at.get(task.task_id, deadline)
    window = (deadline - start).total_seconds()
    elapsed = 1.0 if window <= 0 else (now - start).total_seconds() / window
    return ClockRead(task_id=task.task_id, department_id=task.department_id, clock=clock, deadline=deadline,
                     elapsed=round(max(elapsed, 0.0), 4) if now < deadline else max(elapsed, 1.0))


def deadline_bucket(elapsed: float) -> str | None:
    if elapsed >= 1.0:
        return "breached"
    for bucket, upper in (("over-95", 0.95), ("86-95", 0.85), ("76-85", 0.75), ("50-75", 0.5)):
        if elapsed > upper or (bucket == "50-75" and elapsed >= upper):
            return bucket
    return None


def _whistles(case: _Case, now: datetime) -> list[WhistleRead]:
    found = []
    for whistle in case.state.whistles.values():
        waiting = sorted(t.department_id for t in case.state.tasks.values()
                         if t.whistle_id == whistle.whistle_id and t.kind == "whistle_report_in"
                         and t.open and t.status != "reported_in")
        if waiting:
            found.append(WhistleRead(whistle_id=whistle.whistle_id, street_office=whistle.street_office,
                                     report_in_by=whistle.report_in_by, waiting_for=waiting,
                                     no_shows=waiting if whistle.report_in_by <= now else []))
    return found


def _item(case: _Case, row: CaseSummaryRow, now: datetime) -> BoardItem:
    state = case.state
    clocks = [c for t in state.tasks.values() if t.kind != "meeting_decision" and (c := _clock(case, t, now))]
    meeting = [c for t in state.tasks.values() if t.kind == "meeting_decision" and (c := _clock(case, t, now))
               and c.deadline <= now]
    return BoardItem(case_id=state.case_id, status=state.status, category=state.category,
                     district=state.place.district, street=state.place.street, lead_department=state.lead,
                     holders=sorted(state.holders()), worst_clock=max(clocks, key=lambda c: c.elapsed, default=None),
                     returns=case.returns, whistles=_whistles(case, now), overdue_meeting_tasks=meeting,
                     updated_at=utc(row.updated_at))


def lists_of(item: BoardItem, now: datetime) -> list[str]:
    """Every list the case belongs on."""
    names = [f"state-{item.status}"]
    if item.worst_clock and item.status in ("open", "escalated") and \
            (bucket := deadline_bucket(item.worst_clock.elapsed)):
        names.append(f"deadline-{bucket}")
    if item.status == "escalated":
        names.append("ruling")
    if any(r.returned_at >= now - RETURNED_WITHIN for r in item.returns):
        names.append("returned-24h")
    if item.whistles:
        names.append("whistles")
    if any(w.no_shows for w in item.whistles):
        names.append("no-shows")
    if item.overdue_meeting_tasks:
        names.append("meeting-overdue")
    return names


def _fold(session: Session, case_ids: list[str]) -> dict[str, _Case]:
    states: dict[str, CaseState | None] = defaultdict(lambda: None)
    offered: dict[str, dict[str, datetime]] = defaultdict(dict)  # when each task's clocks started
    returns: dict[str, list[ReturnRead]] = defaultdict(list)
    for start in range(0, len(case_ids), CHUNK):
        streams = [case_stream(c) for c in case_ids[start:start + CHUNK]]
        rows = session.exec(select(LedgerRow).where(col(LedgerRow.stream_id).in_(streams))
                            .order_by(col(LedgerRow.stream_id), col(LedgerRow.n))).all()
        for row in rows:
            event = parse_payload(row.type, json.loads(row.data))
            states[row.stream_id] = evolve(states[row.stream_id], event)
            if isinstance(event, d.TaskOffered):
                offered[row.stream_id][event.task_id] = utc(row.recorded_at)
            elif isinstance(event, g.TaskRejected):
                returns[row.stream_id].append(ReturnRead(
                    department_id=event.department_id, reason=event.reason, note=event.note,
                    suggested_department=event.suggested_department, returned_at=utc(event.rejected_at)))
    return {state.case_id: _Case(state=state, offered_at=offered[stream], returns=returns[stream])
            for stream, state in states.items() if state is not None}


def _matches(item: BoardItem, street: str | None, department: str | None, subject: str | None) -> bool:
    departments = {*item.holders, *([item.lead_department] if item.lead_department else [])}
    return (not street or item.street == street) and (not subject or item.category == subject) and \
        (not department or department in departments)


@dataclass
class _Folded:
    head: int  # the stream's last ledger entry when folded: the ledger only grows, so this names the version
    case: _Case


# Folded cases per database, kept between requests: the board polls every few seconds and most cases have
# not moved since, so only streams with new ledger entries are read and folded again.
_folded: WeakKeyDictionary[Any, dict[str, _Folded]] = WeakKeyDictionary()
_folding = threading.Lock()  # routes run in a thread pool; one request at a time brings the cache up to date


def _heads(session: Session, streams: list[str]) -> dict[str, int]:
    heads: dict[str, int] = {}
    for start in range(0, len(streams), CHUNK):
        heads.update(session.exec(select(LedgerRow.stream_id, func.max(LedgerRow.n))
                                  .where(col(LedgerRow.stream_id).in_(streams[start:start + CHUNK]))
                                  .group_by(col(LedgerRow.stream_id))).all())
    return heads


def _fold_changed(database: Any, session: Session, case_ids: list[str]) -> dict[str, _Case]:
    with _folding:
        return _bring_up_to_date(_folded.setdefault(database, {}), session, case_ids)


def _bring_up_to_date(cache: dict[str, _Folded], session: Session, case_ids: list[str]) -> dict[str, _Case]:
    heads = _heads(session, [case_stream(c) for c in case_ids])
    for gone in cache.keys() - heads.keys():  # closed since: no longer on the board
        del cache[gone]
    stale = [s for s, head in heads.items() if s not in cache or cache[s].head != head]
    for case_id, case in _fold(session, [s.removeprefix(case_stream("")) for s in stale]).items():
        cache[case_stream(case_id)] = _Folded(heads[case_stream(case_id)], case)
    return {f.case.state.case_id: f.case for f in cache.values()}


def board_items(service: Any, street: str | None, department: str | None,
                subject: str | None) -> tuple[datetime, list[tuple[BoardItem, list[str]]]]:
    now = service.dispatcher.clock()
    database = service.coordination.database
    with database.transaction() as session:
        rows = {r.case_id: r for r in session.exec(select(CaseSummaryRow).where(CaseSummaryRow.status != "closed"))}
        folded = _fold_changed(database, session, sorted(rows))
    items = [_item(case, rows[case_id], now) for case_id, case in folded.items()
             if case_id in rows and case.state.status != "closed"]
    return now, [(i, lists_of(i, now)) for i in items if _matches(i, street, department, subject)]


Filter = Annotated[str | None, Query(max_length=100)]


@router.get("/board", response_model=BoardCounts, summary="The coordinators' board: how many cases on each list")
def board(service: Service, _reader: CaseReader, street: Filter = None, department: Filter = None,
          subject: Filter = None) -> BoardCounts:
    now, items = board_items(service, street, department, subject)
    counts: dict[str, int] = dict.fromkeys(ListName.__args__, 0)  # type: ignore[attr-defined]
    for _item_, names in items:
        for name in names:
            counts[name] += 1
    return BoardCounts(now=now, counts=counts)


@router.get("/board/cases", response_model=BoardList, summary="The cases behind one of the board's counts")
def board_cases(service: Service, _reader: CaseReader,
                list_name: Annotated[ListName, Query(alias="list", description="which count's cases")] = "state-open",
                street: Filter = None, department: Filter = None, subject: Filter = None) -> BoardList:
    _now, items = board_items(service, street, department, subject)
    chosen = [i for i, names in items if list_name in names]
    chosen.sort(key=lambda i: -(i.worst_clock.elapsed if i.worst_clock else 0.0))
    return BoardList(list=list_name, items=chosen[:MAX_ITEMS], truncated=len(chosen) > MAX_ITEMS)
