"""What commits of cases write, gathered and written with one statement per table: the events with their outbox
rows, the ledger rows, the offers' timers, the partitions of new cases, each case's summary and board rows.

A command's transaction writes at once (its answer reads what it wrote); the consumer's transaction gathers its
whole run of facts and writes them as it commits (of_transaction). The checks are the same either way: the event
store's and the ledger's unique versions fail a concurrent writer (ConcurrencyError), all in one transaction."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import event
from sqlmodel import Session

from jiesu_shared.events import Envelope
from jiesu_shared.store import EventStore
from jiesu_shared.store.event_store import Append, Cause

from jiesu_dispatch.adapters import board_projection, ledger
from jiesu_dispatch.domain.case_ledger import CaseLedger
from jiesu_dispatch.timer_alarm import TimerAlarm


_OF_TRANSACTION = "jiesu_dispatch.case_writes"  # in session.info: a session is one transaction
_EARLIEST_TIMER = "jiesu_dispatch.earliest_timer"  # in session.info: the earliest due of the timers it stored


@dataclass
class _Touched:
    case: CaseLedger
    fresh: bool  # nothing of the case was written before: no summary or board rows yet
    updated_at: datetime


@dataclass
class CaseWrites:
    store: EventStore
    alarm: TimerAlarm | None = None  # told, once the transaction commits, when the earliest timer it stored is due
    cases: dict[str, CaseLedger] = field(default_factory=dict)  # every case carried forward, by id
    appends: list[Append] = field(default_factory=list)
    ledger_rows: list[dict] = field(default_factory=list)
    timer_rows: list[dict] = field(default_factory=list)
    partition_rows: list[dict] = field(default_factory=list)
    touched: dict[str, _Touched] = field(default_factory=dict)  # cases with rows not yet written, by id

    def case(self, case_id: str) -> CaseLedger | None:
        """A case carried forward earlier in this transaction (its rows perhaps not written yet)."""
        return self.cases.get(case_id)

    def add(self, case: CaseLedger, entries: Sequence[tuple[BaseModel, bool]], *, now: datetime,
            cause: Envelope | Cause | None, warn_at: float, fact_time: datetime | None = None,
            traceparent: str | None = None) -> None:
        """Add entries to the case (a consumed fact, own=False, then dispatch's events) and carry it forward;
        `traceparent`: the trace the events belong to, when they are written away from it."""
        if not entries:
            return
        stream = ledger.CASE_STREAM + case.case_id
        self.cases[case.case_id] = case
        touched = self.touched.setdefault(case.case_id, _Touched(case, case.entries == 0, now))
        touched.updated_at = now
        own = [payload for payload, is_own in entries if is_own]
        if own:
            self.appends.append(Append(stream, case.own, case.case_id, own, cause, traceparent))
        self.ledger_rows += ledger.rows(stream, entries, now, fact_time, head=case.entries)
        self.timer_rows += ledger.timer_rows(own, now, warn_at)
        for payload, is_own in entries:
            case.add(payload, now if is_own or fact_time is None else fact_time, is_own)

    def note_partition(self, case_id: str, partition: int) -> None:
        self.partition_rows.append({"case_id": case_id, "partition": partition})

    def write(self, session: Session) -> list[list[Envelope]]:
        """What was gathered since the last write, one statement per table (partitions after the ledger rows: a
        concurrent first writer of a case fails on the ledger, as a ConcurrencyError); the envelopes of each
        append."""
        appends, self.appends = self.appends, []
        ledger_rows, self.ledger_rows = self.ledger_rows, []
        timer_rows, self.timer_rows = self.timer_rows, []
        partition_rows, self.partition_rows = self.partition_rows, []
        touched, self.touched = self.touched, {}
        envelopes = self.store.append_many(session, appends) if appends else []
        ledger.insert_rows(session, ledger_rows)
        ledger.insert_timers(session, timer_rows)
        if timer_rows and self.alarm is not None:
            _tell_after_commit(session, self.alarm, min(row["due_at"] for row in timer_rows))
        ledger.insert_partitions(session, partition_rows)
        known = [(t.case, t.fresh, t.updated_at) for t in touched.values() if t.case.state is not None]
        if known:
            ledger.summarise(session, known)
            board_projection.project(session, known)
        return envelopes


def _tell_after_commit(session: Session, alarm: TimerAlarm, due: datetime) -> None:
    """After the commit, not before: the timer worker woken earlier could read the table without them and sleep."""
    earliest = session.info.get(_EARLIEST_TIMER)
    if earliest is None:
        event.listen(session, "after_commit", lambda s: alarm.stored(s.info.pop(_EARLIEST_TIMER)), once=True)
    session.info[_EARLIEST_TIMER] = due if earliest is None else min(earliest, due)


def of_transaction(session: Session, store: EventStore, alarm: TimerAlarm | None = None) -> CaseWrites:
    """The transaction's gathered writes (for a run of consumed facts): written as it commits, or before an ORM
    query in it reads, as SQLAlchemy's autoflush writes pending objects first."""
    writes = session.info.get(_OF_TRANSACTION)
    if writes is None:
        writes = session.info[_OF_TRANSACTION] = CaseWrites(store, alarm)
        event.listen(session, "before_commit", writes.write)
        event.listen(session, "do_orm_execute", lambda orm_execute: _before_query(writes, orm_execute.session))
    return writes


def _before_query(writes: CaseWrites, session: Session) -> None:
    writes.write(session)  # and return None: anything else would be taken for the query's result
