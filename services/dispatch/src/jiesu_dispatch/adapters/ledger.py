"""Reading and extending a stream's ledger, and scheduling the timers of new offers."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Row, bindparam, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jiesu_shared.catalogue import parse_payload, type_name_of
from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.store.event_store import ConcurrencyError

from jiesu_dispatch.adapters.tables import CasePartitionRow, CaseSummaryRow, LedgerRow, TimerRow, utc
from jiesu_dispatch.domain.sla import TimerSpec, timers_for
from jiesu_dispatch.domain.case_ledger import CaseLedger

CASE_STREAM = "case-"
_LEDGER = LedgerRow.__table__  # type: ignore[attr-defined]
_CASE_ROWS = (select(_LEDGER.c.stream_id, _LEDGER.c.type, _LEDGER.c.data, _LEDGER.c.own, _LEDGER.c.recorded_at)
              .order_by(_LEDGER.c.stream_id, _LEDGER.c.n))
# Statements every fact runs, built once: building and keying one per call cost more than running it.
_ONE_CASE = _CASE_ROWS.where(_LEDGER.c.stream_id == bindparam("stream_id"))
_EXTEND = insert(_LEDGER)
_SCHEDULE = insert(TimerRow.__table__)  # type: ignore[arg-type]
_PARTITION = insert(CasePartitionRow.__table__)  # type: ignore[arg-type]
_SUMMARY = CaseSummaryRow.__table__  # type: ignore[attr-defined]
_NEW_SUMMARY = insert(_SUMMARY)
_SUMMARY_NOW = update(_SUMMARY).where(_SUMMARY.c.case_id == bindparam("summary_of"))


def load(session: Session, stream_id: str) -> list[BaseModel]:
    rows = session.exec(select(LedgerRow).where(LedgerRow.stream_id == stream_id).order_by(col(LedgerRow.n))).all()
    return [parse_payload(r.type, json.loads(r.data)) for r in rows]


def load_case(session: Session, case_id: str) -> CaseLedger:
    """The case folded from its ledger, each entry at when it happened (a consumed fact's own time, dispatch's
    for its own); a case dispatch never received has no state."""
    rows = session.connection().execute(_ONE_CASE, {"stream_id": CASE_STREAM + case_id})
    return _fold(rows).get(case_id) or CaseLedger(case_id)


def fold_cases(session: Session, case_ids: Sequence[str]) -> dict[str, CaseLedger]:
    """Several cases folded from their ledgers in one query (the board's rebuild folds them by the chunk)."""
    return _fold(session.connection().execute(
        _CASE_ROWS.where(_LEDGER.c.stream_id.in_([CASE_STREAM + c for c in case_ids]))))


def _fold(rows: Iterable[Row]) -> dict[str, CaseLedger]:
    cases: dict[str, CaseLedger] = {}
    for stream_id, type_name, data, own, recorded_at in rows:
        case_id = stream_id.removeprefix(CASE_STREAM)
        case = cases.get(case_id) or cases.setdefault(case_id, CaseLedger(case_id))
        case.add(parse_payload(type_name, json.loads(data)), utc(recorded_at), own)
    return cases


def own_version(session: Session, stream_id: str) -> int:
    count = session.exec(select(func.count()).select_from(LedgerRow)
                         .where(LedgerRow.stream_id == stream_id, col(LedgerRow.own).is_(True))).one()
    return int(count)


def extend(session: Session, stream_id: str, entries: Sequence[tuple[BaseModel, bool]], now: datetime,
           fact_time: datetime | None = None, head: int | None = None) -> None:
    """Append entries after `head` (the ledger's length when loaded; read now if not given); a consumed fact
    (own=False) is recorded at `fact_time`, when it happened, if given."""
    if not entries:
        return
    if head is None:
        head = session.exec(select(func.max(LedgerRow.n)).where(LedgerRow.stream_id == stream_id)).one() or 0
    insert_rows(session, rows(stream_id, entries, now, fact_time, head))


def rows(stream_id: str, entries: Sequence[tuple[BaseModel, bool]], now: datetime, fact_time: datetime | None,
         head: int) -> list[dict]:
    """The ledger rows of entries appended after `head` (see extend)."""
    return [{"stream_id": stream_id, "n": n, "type": type_name_of(payload), "own": own,
             "data": payload.model_dump_json(), "recorded_at": utc(now if own or fact_time is None else fact_time)}
            for n, (payload, own) in enumerate(entries, start=head + 1)]


def insert_rows(session: Session, ledger_rows: Sequence[dict]) -> None:
    """Ledger rows of one or more streams in one statement; a row some other transaction wrote first (the same
    stream and number) means its stream moved on since it was loaded."""
    if not ledger_rows:
        return
    try:
        session.flush()  # pending ORM rows first, in the order they were made
        session.connection().execute(_EXTEND, ledger_rows)
    except IntegrityError as exc:
        streams = sorted({row["stream_id"] for row in ledger_rows})
        raise ConcurrencyError(f"ledger {', '.join(streams)} moved on since loaded") from exc


def timer_rows(events: Sequence[BaseModel], now: datetime, warn_at: float) -> list[dict]:
    """The SLA timers of the offers among `events`, started `now`."""
    return [{"timer_id": spec.timer_id, "case_id": spec.case_id, "task_id": spec.task_id,
             "department_id": spec.department_id, "clock": spec.clock, "phase": spec.phase,
             "due_at": utc(spec.due_at), "deadline": utc(spec.deadline), "fired_at": None, "fired_events": None}
            for offer in events if isinstance(offer, TaskOffered) for spec in timers_for(offer, now, warn_at)]


def insert_timers(session: Session, timers: Sequence[dict]) -> None:
    if timers:
        session.connection().execute(_SCHEDULE, timers)


def due_timers(session: Session, now: datetime, limit: int) -> list[tuple[str, datetime, int | None]]:
    """Unfired timers due by `now`, earliest first: id, when due, and the partition holding the case."""
    rows = session.exec(select(TimerRow.timer_id, TimerRow.due_at, CasePartitionRow.partition)
                        .join(CasePartitionRow, col(CasePartitionRow.case_id) == col(TimerRow.case_id), isouter=True)
                        .where(col(TimerRow.fired_at).is_(None), TimerRow.due_at <= utc(now))
                        .order_by(col(TimerRow.due_at)).limit(limit))
    return [(timer_id, utc(due_at), partition) for timer_id, due_at, partition in rows.all()]


def next_due(session: Session, now: datetime) -> datetime | None:
    """When the earliest unfired timer due after `now` is due (the due_at index read from `now` on: the first row
    is nearly always the one, since timers are fired only once due)."""
    due = session.exec(select(TimerRow.due_at).where(col(TimerRow.fired_at).is_(None), TimerRow.due_at > utc(now))
                       .order_by(col(TimerRow.due_at)).limit(1)).first()
    return None if due is None else utc(due)


def insert_partitions(session: Session, partitions: Sequence[dict]) -> None:
    """Which partition holds each case (case_id, partition), noted with its first entries (so never there before)."""
    if partitions:
        session.connection().execute(_PARTITION, partitions)


def claim(session: Session, timer_id: str, now: datetime) -> TimerSpec | None:
    """Mark the timer fired unless another transaction (instance) already did; only the winner fires it."""
    result = session.execute(update(TimerRow).where(col(TimerRow.timer_id) == timer_id,
                                                    col(TimerRow.fired_at).is_(None)).values(fired_at=utc(now)))
    if result.rowcount != 1:
        return None
    row = session.get(TimerRow, timer_id)
    assert row is not None
    return TimerSpec(timer_id=row.timer_id, case_id=row.case_id, task_id=row.task_id, department_id=row.department_id,
                     clock=row.clock, phase=row.phase, due_at=utc(row.due_at), deadline=utc(row.deadline))  # type: ignore[arg-type]


def note_fired(session: Session, timer_id: str, produced: int) -> None:
    session.execute(update(TimerRow).where(col(TimerRow.timer_id) == timer_id).values(fired_events=produced))


def summarise(session: Session, cases: Sequence[tuple[CaseLedger, bool, datetime]]) -> None:
    """Each case's summary row, from the case as carried forward in memory, as of its `updated_at`: inserted for a
    fresh case (none in the ledger before this transaction), else updated (inserted if missing)."""
    connection = session.connection()
    fresh = [{"case_id": case.case_id, **_summary(case, at)} for case, new, at in cases if new]
    if fresh:
        connection.execute(_NEW_SUMMARY, fresh)
    known = [{"summary_of": case.case_id, **_summary(case, at)} for case, new, at in cases if not new]
    if known and connection.execute(_SUMMARY_NOW, known).rowcount != len(known):
        for values in known:  # some were missing (rare): each on its own
            if connection.execute(_SUMMARY_NOW, values).rowcount == 0:
                connection.execute(_NEW_SUMMARY, {"case_id": values.pop("summary_of"), **values})


def _summary(case: CaseLedger, updated_at: datetime) -> dict:
    state = case.state
    assert state is not None
    return {"status": state.status, "lead_department": state.lead, "category": state.category,
            "return_count": state.return_count, "updated_at": utc(updated_at)}


def summaries(session: Session, status: str | None, limit: int, offset: int) -> list[CaseSummaryRow]:
    query = select(CaseSummaryRow)
    if status is not None:
        query = query.where(CaseSummaryRow.status == status)
    return list(session.exec(query.order_by(col(CaseSummaryRow.updated_at)).offset(offset).limit(limit)).all())
