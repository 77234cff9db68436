"""Reading the projected board (see board_projection): counts as one SQL aggregate, each list a page of rows.
Which deadline bucket a case is in depends on "now", so the share of each clock's window gone is computed in
the query from the stored window, never stored."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, false, func, literal
from sqlmodel import Session, col, select

from jiesu_dispatch.adapters.tables import BoardCaseRow, BoardClockRow, BoardDepartmentRow

RETURNED_WITHIN = timedelta(hours=24)
# Each bucket's bounds on the worst clock's share of its window gone (lower inclusive, upper exclusive or not).
BUCKETS = {"50-75": (0.5, True, 0.75, True), "76-85": (0.75, False, 0.85, True),
           "86-95": (0.85, False, 0.95, True), "over-95": (0.95, False, 1.0, False), "breached": (1.0, True, None, False)}
STATES = ("received", "open", "escalated", "handled")


@dataclass(frozen=True)
class Filters:
    street: str | None = None
    department: str | None = None
    subject: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.street:
            found.append(col(BoardCaseRow.street) == self.street)
        if self.subject:
            found.append(col(BoardCaseRow.category) == self.subject)
        if self.department:
            found.append(col(BoardCaseRow.case_id).in_(select(BoardDepartmentRow.case_id).where(
                BoardDepartmentRow.department_id == self.department)))
        return found


def _worst(now_s: float) -> Any:
    """Per case, the largest share of a running clock's window gone (1.0 for a window of no length)."""
    window = col(BoardClockRow.deadline_s) - col(BoardClockRow.start_s)
    share = case((window <= 0, 1.0), else_=(literal(now_s, Float) - col(BoardClockRow.start_s)) / window)
    return select(BoardClockRow.case_id, func.max(share).label("worst")).group_by(col(BoardClockRow.case_id)).subquery()


def _bucket(worst: Any, bounds: tuple[float, bool, float | None, bool]) -> ColumnElement[bool]:
    low, low_inclusive, high, high_inclusive = bounds
    conditions = [worst >= low if low_inclusive else worst > low]
    if high is not None:
        conditions.append(worst <= high if high_inclusive else worst < high)
    return and_(col(BoardCaseRow.status).in_(("open", "escalated")), *conditions)


def conditions(worst: Any, now_s: float) -> dict[str, ColumnElement[bool]]:
    """Each list's membership test: what GET /board counts and GET /board/cases?list= pages through."""
    found: dict[str, ColumnElement[bool]] = {f"state-{s}": col(BoardCaseRow.status) == s for s in STATES}
    found |= {f"deadline-{name}": _bucket(worst, bounds) for name, bounds in BUCKETS.items()}
    found["ruling"] = col(BoardCaseRow.status) == "escalated"
    found["returned-24h"] = col(BoardCaseRow.returned_at_s) >= now_s - RETURNED_WITHIN.total_seconds()
    found["whistles"] = col(BoardCaseRow.whistle_waiting).is_(True)
    found["no-shows"] = and_(col(BoardCaseRow.whistle_waiting).is_(True), col(BoardCaseRow.report_in_by_s) <= now_s)
    found["meeting-overdue"] = col(BoardCaseRow.meeting_due_s) <= now_s
    return found


def counts(session: Session, now: datetime, filters: Filters) -> dict[str, int]:
    now_s = now.timestamp()
    worst = _worst(now_s)
    tests = conditions(worst.c.worst, now_s)
    query = select(*(func.coalesce(func.sum(case((test, 1), else_=0)), 0) for test in tests.values())) \
        .select_from(BoardCaseRow).outerjoin(worst, worst.c.case_id == col(BoardCaseRow.case_id)) \
        .where(*filters.where())
    return dict(zip(tests, map(int, session.execute(query).one()), strict=True))


def page(session: Session, name: str, now: datetime, filters: Filters, offset: int,
         limit: int) -> tuple[list[BoardCaseRow], int]:
    """One page of a list, the worst clock first, and how many the list holds in all."""
    now_s = now.timestamp()
    worst = _worst(now_s)
    test = conditions(worst.c.worst, now_s).get(name, false())
    joined = select(BoardCaseRow).outerjoin(worst, worst.c.case_id == col(BoardCaseRow.case_id)) \
        .where(test, *filters.where())
    total = session.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
    rows = session.exec(joined.order_by(func.coalesce(worst.c.worst, 0.0).desc(), col(BoardCaseRow.case_id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)
