"""Dispatch's service layer for streams: load a case (or a meeting, the directory), decide, and commit the
events with their ledger rows, timers, summary and board rows in the message bus's transaction; and the
facts dispatch consumes from intake and the gateway, by catalogue class (EVENT_HANDLERS)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.consumer import current_record
from jiesu_shared.events import Envelope
from jiesu_shared.store import EventStore
from jiesu_shared.store.event_store import Cause
from jiesu_shared.telemetry import current_traceparent

from jiesu_dispatch.adapters import case_writes, ledger
from jiesu_dispatch.adapters.case_writes import CaseWrites
from jiesu_dispatch.adapters.directory import Directory, DirectoryCache
from jiesu_dispatch.domain.case_ledger import CaseLedger
from jiesu_dispatch.domain.decider import Context, react
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.domain.state import CaseState
from jiesu_dispatch.timer_alarm import TimerAlarm

Clock = Callable[[], datetime]
_FACTS_DIRECTORY = "jiesu_dispatch.facts_directory"  # in a consumer transaction's session.info


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dispatcher:
    store: EventStore
    routing: RoutingTable  # the configured table, in force until a table is published
    sla: SlaPolicy
    max_returns: int = 2
    clock: Clock = system_clock
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    alarm: TimerAlarm = field(default_factory=TimerAlarm)  # told of each commit of timers; the timer worker sleeps on it
    _directory: DirectoryCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._directory = DirectoryCache(self.store, self.routing)

    def directory(self, session: Session, at: datetime | None = None) -> Directory:
        """The directory and routing table in force now, or at a past moment (for the audit's question)."""
        return self._directory.current(session) if at is None else self._directory.at(session, at)

    def context(self, session: Session, *, for_facts: bool = False) -> Context:
        """What a decision needs. `for_facts`: the consumer's transaction, which never changes the directory, so
        the directory is looked up once for its whole run of facts (a query per fact was ~5 % of dispatch's CPU)."""
        directory = self._facts_directory(session) if for_facts else self._directory.current(session)
        return Context(routing=directory.routing, sla=self.sla, now=self.clock(), new_id=self.new_id,
                       max_returns=self.max_returns, directory=directory.names, areas=directory.areas)

    def _facts_directory(self, session: Session) -> Directory:
        directory = session.info.get(_FACTS_DIRECTORY)  # a session is one transaction (Database.transaction)
        if directory is None:
            directory = session.info[_FACTS_DIRECTORY] = self._directory.current(session)
        return directory

    def case(self, session: Session, case_id: str) -> CaseState | None:
        return ledger.load_case(session, case_id).state

    def commit_case(self, session: Session, case: CaseLedger, events: Sequence[BaseModel], *,
                    cause: Envelope | Cause | None) -> list[Envelope]:
        """Append a command's `events` to the case from the version it was loaded at, with their ledger rows and
        their offers' clocks, and carry the case forward to its summary and board: written at once."""
        writes = CaseWrites(self.store, self.alarm)
        writes.add(case, [(e, True) for e in events], now=self.clock(), cause=cause, warn_at=self.sla.warn_at)
        envelopes = writes.write(session)
        return envelopes[0] if envelopes else []

    def commit(self, session: Session, stream_id: str, subject: str, events: Sequence[BaseModel], *,
               cause: Envelope | Cause | None) -> list[Envelope]:
        """Append `events` to a meeting's stream or the directory, with their ledger rows."""
        envelopes = self.store.append(session, stream_id=stream_id, subject=subject, payloads=events, cause=cause,
                                      expected_version=ledger.own_version(session, stream_id)) if events else []
        ledger.extend(session, stream_id, [(e, True) for e in events], self.clock())
        return envelopes

    def on_fact(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        """A fact from intake or the gateway: fold it into the case and react. What it writes is gathered for the
        consumer's whole run of facts and written as its transaction commits: one statement per table for the
        run; a failure there fails the commit, and the consumer then handles the run's facts one by one."""
        case_id = getattr(payload, "case_id", None)
        if payload is None or case_id is None:
            return
        writes = case_writes.of_transaction(session, self.store, self.alarm)
        case = writes.case(case_id) or ledger.load_case(session, case_id)  # earlier in the run: not written yet
        if case.state is None and not isinstance(payload, i.CaseReceived):
            return  # about a case dispatch never received (e.g. a meeting task of another deployment)
        fresh, record, now = case.state is None, current_record.get(), self.clock()
        writes.add(case, [(payload, False)], now=now, cause=envelope, fact_time=envelope.time, warn_at=self.sla.warn_at)
        events = react(case.state, payload, self.context(session, for_facts=True))
        writes.add(case, [(e, True) for e in events], now=now, cause=envelope, warn_at=self.sla.warn_at,
                   traceparent=current_traceparent())  # the consumer's span has ended when they are written
        if fresh and record is not None:
            writes.note_partition(case_id, record.partition)


CONSUMED: tuple[type[BaseModel], ...] = (
    i.CaseReceived, i.CaseReclassified, i.CaseReopened, i.CaseWithdrawn, i.CaseClosed, g.TaskAccepted,
    g.TaskReturned, g.TaskResponded, g.TaskProgressReported, g.TaskCompleted, g.TaskReportedIn,
    g.TaskNotificationFailed)


def event_handlers(dispatcher: Dispatcher) -> dict[type[BaseModel], Callable[[Session, Envelope, BaseModel], None]]:
    """EVENT_HANDLERS: every fact dispatch consumes folds into its case, by catalogue class."""
    return dict.fromkeys(CONSUMED, dispatcher.on_fact)
