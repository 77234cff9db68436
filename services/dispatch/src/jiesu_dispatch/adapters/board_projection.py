"""The coordinators' board as tables: each case not closed, with what the board counts, filters and lists it by.
Written in the transaction that commits the case's events, from the case as carried forward in memory (nothing
folded again); rebuilt from the ledger when the tables are new or were built by an older version of this projection."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert
from sqlmodel import Session, select

from jiesu_shared.store import Database

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.adapters.projection_rebuild import rebuild_once
from jiesu_dispatch.adapters.tables import (BoardCaseRow, BoardDepartmentRow, BoardDetailRow, BoardVersionRow,
                                            CaseSummaryRow, utc)
from jiesu_dispatch.domain.case_ledger import CaseLedger
from jiesu_dispatch.domain.state import CaseState, Task

VERSION = 1  # raise when what is projected changes: dispatch then rebuilds the tables on start
CHUNK = 500  # streams per ledger query when rebuilding: well under SQLite's bound-parameter limit
TABLES = (BoardCaseRow, BoardDetailRow, BoardDepartmentRow)
NO_DEADLINE = 253402300799.0  # 9999-12-31: a case with no clock running sorts last
# Built once: every commit of a case runs them, and building and keying a statement per call costs more than it.
_INSERTS = tuple(insert(table.__table__) for table in TABLES)  # type: ignore[attr-defined]
_FORGET = tuple(delete(t).where(t.c.case_id.in_(bindparam("case_ids", expanding=True)))
                for t in (table.__table__ for table in TABLES))  # type: ignore[attr-defined]


def running_clock(task: Task) -> tuple[str, datetime] | None:
    """The clock now running on an open task and its deadline, None when none runs."""
    if not task.open:
        return None
    if task.kind == "whistle_report_in":
        return ("report_in", task.report_in_by) if task.status != "reported_in" and task.report_in_by else None
    if task.kind == "meeting_decision":
        return "resolve", task.resolve_by
    return {"offered": ("decide", task.decide_by), "accepted": ("respond", task.respond_by)}.get(
        task.status, ("resolve", task.resolve_by))


def _clocks(case: CaseLedger) -> list[dict[str, Any]]:
    assert case.state is not None
    found = []
    for task in case.state.tasks.values():
        if (running := running_clock(task)) is not None:
            clock, deadline = running
            start = case.offered_at.get(task.task_id, deadline)
            found.append({"task_id": task.task_id, "department_id": task.department_id, "clock": clock,
                          "start": utc(start).isoformat(), "deadline": utc(deadline).isoformat(),
                          "meeting": task.kind == "meeting_decision"})
    return found


def _whistles(state: CaseState) -> list[dict[str, Any]]:
    found = []
    for whistle in state.whistles.values():
        waiting = sorted(t.department_id for t in state.tasks.values()
                         if t.whistle_id == whistle.whistle_id and t.kind == "whistle_report_in"
                         and t.open and t.status != "reported_in")
        if waiting:
            found.append({"whistle_id": whistle.whistle_id, "street_office": whistle.street_office,
                          "report_in_by": utc(whistle.report_in_by).isoformat(), "waiting_for": waiting})
    return found


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


def _earliest(moments: Iterable[str]) -> float | None:
    return min(map(_epoch, moments), default=None)


def _reaches(clocks: list[dict[str, Any]], share: float) -> float | None:
    """When the first of the running clocks has `share` of its window gone (at once for a window of no length)."""
    moments = [start + share * (deadline - start) if deadline > start else 0.0
               for start, deadline in ((_epoch(c["start"]), _epoch(c["deadline"])) for c in clocks)]
    return min(moments, default=None)


def _rows(case: CaseLedger, updated_at: datetime) -> tuple[dict, dict, list[dict]]:
    state = case.state
    assert state is not None
    clocks, whistles, holders = _clocks(case), _whistles(state), sorted(state.holders())
    timed = [c for c in clocks if not c["meeting"]]  # what the deadline buckets are about
    row = {"case_id": state.case_id, "status": state.status, "category": state.category, "street": state.place.street,
           **{f"reaches_{p}_s": _reaches(timed, p / 100) for p in (50, 75, 85, 95)},
           "next_deadline_s": _reaches(timed, 1.0) if timed else NO_DEADLINE,
           "returned_at_s": max((_epoch(r["returned_at"]) for r in case.returns), default=None),
           "whistle_waiting": bool(whistles), "report_in_by_s": _earliest(w["report_in_by"] for w in whistles),
           "meeting_due_s": _earliest(c["deadline"] for c in clocks if c["meeting"])}
    detail = {"district": state.place.district, "lead_department": state.lead, "holders": holders,
              "returns": case.returns, "whistles": whistles, "clocks": clocks}
    shown = {"case_id": state.case_id, "updated_at": utc(updated_at), "detail": json.dumps(detail, ensure_ascii=False)}
    departments = [{"case_id": state.case_id, "department_id": department}
                   for department in sorted({*holders, *([state.lead] if state.lead else [])})]
    return row, shown, departments


def _write(session: Session, cases: Iterable[CaseLedger], updated_at: dict[str, datetime]) -> None:
    rows: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    for case in cases:
        if case.state is not None and case.state.status != "closed":
            row, shown, departments = _rows(case, updated_at[case.state.case_id])
            rows[0].append(row)
            rows[1].append(shown)
            rows[2].extend(departments)
    connection = session.connection()  # Core statements: the ORM's bulk path costs more than the writes
    for statement, values in zip(_INSERTS, rows, strict=True):
        if values:
            connection.execute(statement, values)


def project(session: Session, cases: Sequence[tuple[CaseLedger, bool, datetime]]) -> None:
    """Bring the cases' board rows up to date with the cases as just committed, each as of its `updated_at` (gone
    once it is closed): one statement per table. A fresh case (none in the ledger before) has no rows to replace."""
    replaced = [case.case_id for case, fresh, _ in cases if not fresh]
    if replaced:
        connection = session.connection()
        for statement in _FORGET:
            connection.execute(statement, {"case_ids": replaced})
    _write(session, [case for case, _, _ in cases], {case.case_id: at for case, _, at in cases})


def rebuild_if_needed(database: Database) -> int | None:
    """Fill the board from the ledger unless this version already built it; how many cases it folded.
    Dispatch calls it before it consumes or serves; of instances starting together, one builds."""
    return rebuild_once(database, BoardVersionRow, VERSION, TABLES, _fill)


def _fill(session: Session) -> int:
    updated = dict(session.exec(select(CaseSummaryRow.case_id, CaseSummaryRow.updated_at)
                                .where(CaseSummaryRow.status != "closed")).all())
    open_ids = sorted(updated)
    for start in range(0, len(open_ids), CHUNK):
        _write(session, ledger.fold_cases(session, open_ids[start:start + CHUNK]).values(), updated)
    return len(open_ids)
