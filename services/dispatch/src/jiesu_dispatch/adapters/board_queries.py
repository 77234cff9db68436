"""Reading the projected board (see board_projection): counts as one SQL aggregate (count ... FILTER, which
SQLite ≥ 3.30 and PostgreSQL both know) over its narrow rows, each
list a page of rows. Which deadline bucket a case is in depends on "now": the query compares "now" with the
stored moments at which the case's clocks reach each bucket's share of their windows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func
from sqlmodel import Session, col, select

from jiesu_dispatch.adapters.tables import BoardCaseRow, BoardDepartmentRow, BoardDetailRow

RETURNED_WITHIN = timedelta(hours=24)
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


def _buckets(now_s: float) -> dict[str, ColumnElement[bool]]:
    """A case's deadline bucket by its worst clock's share of window gone: 50–75 %, over 75 to 85, over 85 to 95,
    over 95 and breached, each tested as "now" against when the share is reached."""
    row = BoardCaseRow
    reached = {50: col(row.reaches_50_s), 75: col(row.reaches_75_s), 85: col(row.reaches_85_s),
               95: col(row.reaches_95_s)}
    breached = col(row.next_deadline_s) <= now_s
    return {"50-75": and_(reached[50] <= now_s, reached[75] >= now_s),
            "76-85": and_(reached[75] < now_s, reached[85] >= now_s),
            "86-95": and_(reached[85] < now_s, reached[95] >= now_s),
            "over-95": and_(reached[95] < now_s, ~breached), "breached": breached}


def conditions(now_s: float) -> dict[str, ColumnElement[bool]]:
    """Each list's membership test: what GET /board counts and GET /board/cases?list= pages through."""
    status = col(BoardCaseRow.status)
    found: dict[str, ColumnElement[bool]] = {f"state-{s}": status == s for s in STATES}
    found |= {f"deadline-{name}": and_(status.in_(("open", "escalated")), test)
              for name, test in _buckets(now_s).items()}
    found["ruling"] = status == "escalated"
    found["returned-24h"] = col(BoardCaseRow.returned_at_s) >= now_s - RETURNED_WITHIN.total_seconds()
    found["whistles"] = col(BoardCaseRow.whistle_waiting).is_(True)
    found["no-shows"] = and_(col(BoardCaseRow.whistle_waiting).is_(True), col(BoardCaseRow.report_in_by_s) <= now_s)
    found["meeting-overdue"] = col(BoardCaseRow.meeting_due_s) <= now_s
    return found


def counts(session: Session, now: datetime, filters: Filters) -> dict[str, int]:
    tests = conditions(now.timestamp())
    query = select(*(func.count().filter(test) for test in tests.values())).where(*filters.where())
    return dict(zip(tests, map(int, session.execute(query).one()), strict=True))


def page(session: Session, name: str, now: datetime, filters: Filters, offset: int,
         limit: int) -> tuple[list[tuple[BoardCaseRow, BoardDetailRow]], int]:
    """One page of a list, the earliest deadline first (longest overdue first), and how many it holds in all."""
    where = [conditions(now.timestamp()).get(name, false()), *filters.where()]
    total = session.execute(select(func.count()).select_from(BoardCaseRow).where(*where)).scalar_one()
    order = (col(BoardCaseRow.next_deadline_s), col(BoardCaseRow.case_id))
    # the page's cases found on the narrow rows alone; only those are joined to what a list shows of them
    chosen = select(*order).where(*where).order_by(*order).offset(offset).limit(limit).subquery()
    rows = session.exec(select(BoardCaseRow, BoardDetailRow)
                        .join(chosen, chosen.c.case_id == col(BoardCaseRow.case_id))
                        .join(BoardDetailRow, col(BoardDetailRow.case_id) == col(BoardCaseRow.case_id))
                        .order_by(chosen.c.next_deadline_s, chosen.c.case_id)).all()
    return [(r[0], r[1]) for r in rows], int(total)
