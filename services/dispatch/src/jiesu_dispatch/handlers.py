"""Dispatch's service layer: load a stream's ledger, decide, append events, ledger rows and timers atomically."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.consumer import current_record
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.events import Envelope
from jiesu_shared.store import EventStore
from jiesu_shared.store.event_store import Cause

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.domain.decider import Context, react
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.domain.state import CaseState, evolve, fold

DIRECTORY = "directory"
Clock = Callable[[], datetime]


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Directory:
    departments: dict[str, d.DepartmentRegistered]
    routing: RoutingTable
    published: d.RoutingRulesPublished | None


@dataclass
class Dispatcher:
    store: EventStore
    routing: RoutingTable  # the configured table, in force until a table is published
    sla: SlaPolicy
    max_returns: int = 2
    clock: Clock = system_clock
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    def directory(self, session: Session, at: datetime | None = None) -> Directory:
        """The directory and routing table in force now, or at a past moment (for the audit's question)."""
        departments: dict[str, d.DepartmentRegistered] = {}
        published: d.RoutingRulesPublished | None = None
        for envelope in self.store.load(session, DIRECTORY):
            if at is not None and envelope.time > at:
                break
            event = parse_payload(envelope.type, envelope.data)
            if isinstance(event, d.DepartmentRegistered):
                departments[event.department_id] = event
            elif isinstance(event, d.RoutingRulesPublished):
                published = event
        routing = RoutingTable.from_dict(published.table) if published else self.routing
        return Directory(departments, routing, published)

    def context(self, session: Session) -> Context:
        directory = self.directory(session)
        return Context(routing=directory.routing, sla=self.sla, now=self.clock(), new_id=self.new_id,
                       max_returns=self.max_returns, directory=frozenset(directory.departments),
                       areas={k: tuple(v.areas) for k, v in directory.departments.items()})

    def case(self, session: Session, case_id: str) -> CaseState | None:
        return fold(ledger.load_timed(session, case_stream(case_id)))

    def commit(self, session: Session, stream_id: str, subject: str, events: Sequence[BaseModel], *,
               cause: Envelope | Cause | None, fact: BaseModel | None = None,
               fact_time: datetime | None = None) -> list[Envelope]:
        """Append `events` as dispatch's own (after `fact`, a consumed event) and start their offers' clocks."""
        now = self.clock()
        envelopes: list[Envelope] = []
        if events:
            envelopes = self.store.append(session, stream_id=stream_id, expected_version=ledger.own_version(
                session, stream_id), subject=subject, payloads=events, cause=cause)
        entries = ([(fact, False)] if fact is not None else []) + [(e, True) for e in events]
        ledger.extend(session, stream_id, entries, now, fact_time)
        ledger.schedule(session, [e for e in events if isinstance(e, d.TaskOffered)], now, self.sla.warn_at)
        if stream_id == case_stream(subject) and entries:
            state = self.case(session, subject)
            if state is not None:
                ledger.summarise(session, state, now)
        return envelopes

    def on_fact(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        """A fact from intake or the gateway: fold it into the case and react."""
        case_id = getattr(payload, "case_id", None)
        if payload is None or case_id is None:
            return
        before = self.case(session, case_id)
        if before is None and not isinstance(payload, i.CaseReceived):
            return  # about a case dispatch never received (e.g. a meeting task of another deployment)
        record = current_record.get()
        if before is None and record is not None:
            ledger.note_partition(session, case_id, record.partition)
        after = evolve(before, payload, envelope.time)
        events = react(after, payload, self.context(session))
        self.commit(session, case_stream(case_id), case_id, events, cause=envelope, fact=payload,
                    fact_time=envelope.time)

    def handlers(self) -> dict:
        consumed = [i.CaseReceived, i.CaseReclassified, i.CaseReopened, i.CaseWithdrawn, i.CaseClosed,
                    g.TaskAccepted, g.TaskRejected, g.TaskResponded, g.TaskProgressReported, g.TaskCompleted,
                    g.TaskReportedIn, g.TaskNotificationFailed]
        return {model.__event_type__: self.on_fact for model in consumed}  # type: ignore[attr-defined]
