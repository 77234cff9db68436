"""Intake's service layer: load state, decide, append atomically (event store + outbox + read model), every
command and consumed event on the kernel's message bus (COMMAND_HANDLERS, the batch of new cases, EVENT_HANDLERS)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import datetime, timedelta
from types import SimpleNamespace

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.common import (Outcome, RequestType, Satisfaction, SealedContact, UnresolvableReason,
                                           Urgency)
from jiesu_shared.catalogue.dispatch import CaseHandled
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.consumer import Unprocessable
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.messagebus import MessageBus
from jiesu_shared.store import Database, EventStore

from jiesu_intake import disclosures, privacy, readmodel
from jiesu_intake.disclosures import Recipient
from jiesu_intake.domain import case as domain
from jiesu_intake.domain.case import CaseState, decide_callback_due, evolve
from jiesu_intake.domain.classification import Taxonomy
from jiesu_intake.domain.redaction import restore
from jiesu_intake.group_commit import GroupCommit
from jiesu_intake.privacy import Contact
from jiesu_intake.receiving import (CaseRecorder, IdempotencyKey, NewCase, PreparedCase, Received, prepare,
                                    received, stream_of)

__all__ = ["IdempotencyKey", "NewCase", "Received", "Recipient", "stream_of"]


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class CaseView:
    row: readmodel.CaseRow | SimpleNamespace  # or a just-committed row's values (see receiving.Received)
    contact: Contact | None  # only when asked for by an authorised operator and not erased
    contact_erased: bool
    text: str  # the logged text, or the citizen's own words for an operator allowed to see them


def _row(session: Session, case_id: str) -> readmodel.CaseRow:
    row = session.get(readmodel.CaseRow, case_id)
    if row is None:
        raise CaseNotFound(case_id)
    return row


def load_case(session: Session, store: EventStore, case_id: str) -> tuple[CaseState | None, int]:
    state: CaseState | None = None
    envelopes = store.load(session, stream_of(case_id))
    for envelope in envelopes:
        state = evolve(state, parse_payload(envelope.type, envelope.data))
    return state, (envelopes[-1].sequence if envelopes else 0)


# Operators' commands on a case: data, each decided by its pure function of the case (DECISIONS).
@dataclass(frozen=True)
class ReclassifyCase:
    case_id: str
    category: str
    request_type: RequestType | None
    urgency: Urgency
    operator: str
    reason: str


@dataclass(frozen=True)
class RecordCallback:
    case_id: str
    outcome: Outcome
    unresolvable_reason: UnresolvableReason | None
    satisfaction: Satisfaction
    operator: str


@dataclass(frozen=True)
class ReopenCase:
    case_id: str
    reason: str


@dataclass(frozen=True)
class CloseCase:
    case_id: str


@dataclass(frozen=True)
class WithdrawCase:
    case_id: str
    reason: str


OperatorCommand = ReclassifyCase | RecordCallback | ReopenCase | CloseCase | WithdrawCase
Decision = Callable[[CaseState, Any, datetime], Sequence[BaseModel]]  # (the case, the command, now) -> events
DECISIONS: dict[type, Decision] = {
    ReclassifyCase: lambda s, c, now: domain.decide_reclassify(s, category=c.category, request_type=c.request_type,
                                                          urgency=c.urgency, operator=c.operator, reason=c.reason),
    RecordCallback: lambda s, c, now: domain.decide_callback(
        s, outcome=c.outcome, unresolvable_reason=c.unresolvable_reason, satisfaction=c.satisfaction,
        operator=c.operator, now=now),
    ReopenCase: lambda s, c, now: domain.decide_reopen(s, reason=c.reason),
    CloseCase: lambda s, c, now: domain.decide_close(s, now=now),
    WithdrawCase: lambda s, c, now: domain.decide_withdraw(s, reason=c.reason, now=now),
}


@dataclass
class IntakeService:
    database: Database
    store: EventStore
    taxonomy: Taxonomy
    duplicate_window: timedelta
    clock: Callable[[], datetime] = utc_now  # injectable: the duplicate window is measured on it
    on_committed: Callable[[], None] = lambda: None  # new cases committed: e.g. wake the outbox relay
    group_commit_interval: float = 0.0  # a batch of new cases at most this often while requests keep coming

    def __post_init__(self) -> None:
        self.bus = MessageBus(self.database, commands=dict.fromkeys(DECISIONS, self._on_case),
                              batched={PreparedCase: CaseRecorder(self.store, self.duplicate_window)},
                              events={CaseHandled: self.on_case_handled}, on_committed=self.on_committed)
        self._writer: GroupCommit[PreparedCase, Received] = GroupCommit(self.record, name="intake.cases",
                                                                          interval=self.group_commit_interval)

    def record(self, cases: Sequence[PreparedCase]) -> list[Received | Exception]:
        """New cases in one transaction on the bus (the group commit's write)."""
        answers = self.bus.handle_batch(cases, [c.idempotency for c in cases], status_code=201)
        return [a if isinstance(a, Exception) else received(a) for a in answers]

    async def receive_async(self, new: NewCase, idempotency: IdempotencyKey | None = None) -> Received:
        """Record a new case (or answer a replayed Idempotency-Key); waits for its batch's commit without
        holding a thread."""
        return await self._writer.write(prepare(self.taxonomy, new, idempotency))

    async def run_writer(self, stop: asyncio.Event) -> None:
        """A background worker: at shutdown, commit what is still waiting and end the writer thread."""
        await stop.wait()
        await asyncio.to_thread(self._writer.stop)

    def act(self, command: OperatorCommand, key: IdempotencyKey | None = None) -> bool:
        """Apply an operator's command to a case (nothing is appended if nothing changed), once per key; True
        when the key's first request had already done it (a replay)."""
        return self.bus.handle(command, key=key).replayed

    def _on_case(self, session: Session, command: OperatorCommand) -> None:
        state, version = load_case(session, self.store, command.case_id)
        if state is None:
            raise CaseNotFound(command.case_id)
        self._append(session, command.case_id, version, list(DECISIONS[type(command)](state, command, self.clock())))

    def on_case_handled(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, CaseHandled)
        state, version = load_case(session, self.store, payload.case_id)
        if state is None:
            raise Unprocessable(f"case {payload.case_id} was never received by intake")
        events = decide_callback_due(state, lead_department=payload.lead_department,
                                     handled_at=payload.handled_at, resolution=payload.resolution)
        self._append(session, payload.case_id, version, events, cause=envelope)

    def _append(self, session: Session, case_id: str, version: int, events: list[BaseModel],
                cause: Envelope | None = None) -> list[Envelope]:
        if not events:
            return []
        envelopes = self.store.append(session, stream_id=stream_of(case_id), expected_version=version,
                                      subject=case_id, payloads=events, cause=cause)
        readmodel.project(session, envelopes)
        return envelopes

    def view(self, case_id: str) -> CaseView:
        """The case as logged: placeholders in the text, the generalised place, no contact."""
        with self.database.reading() as session:  # a read: it must not queue for SQLite's one writer
            row = _row(session, case_id)
            return CaseView(row=row, contact=None, contact_erased=False, text=row.text)

    def reveal(self, case_id: str, *, to: Recipient, with_id_number: bool = True) -> CaseView:
        """The case with the citizen's details unsealed, and the disclosure recorded in the same transaction
        (nothing is recorded when nothing was sealed or the citizen was erased)."""
        with self.database.transaction() as session:
            row = _row(session, case_id)
            if row.citizen_id is None:
                return CaseView(row=row, contact=None, contact_erased=False, text=row.text)
            try:
                contact = privacy.unseal(session, self._sealed_contact(session, case_id))
            except privacy.ContactErased:
                return CaseView(row=row, contact=None, contact_erased=True, text=row.text)
            disclosures.record(session, case_id=case_id, to=to, at=self.clock(),
                               fields=disclosures.disclosed_fields(contact, with_id_number=with_id_number))
            return CaseView(row=row, contact=contact, contact_erased=False, text=restore(row.text, contact.in_text))

    def disclosure_records(self, *, case_id: str | None, limit: int, offset: int) -> list[disclosures.Disclosure]:
        with self.database.reading() as session:
            return disclosures.listed(session, case_id=case_id, limit=limit, offset=offset)

    def _sealed_contact(self, session: Session, case_id: str) -> SealedContact:
        first = self.store.load(session, stream_of(case_id))[0]
        received = parse_payload(first.type, first.data)
        assert isinstance(received, CaseReceived) and received.contact is not None
        return received.contact

    def erase_citizen(self, citizen_id: str, *, by: str) -> bool:
        with self.database.transaction() as session:
            erased = privacy.erase(session, citizen_id, by=by)
        self.database.forget_deleted()  # the shredded key must not survive in the write-ahead log either
        return erased

    def find_citizen(self, *, phone: str | None, id_number: str | None) -> str | None:
        with self.database.transaction() as session:
            return privacy.find_citizen(session, phone=phone, id_number=id_number)

    def rebuild_read_model(self) -> int:
        with self.database.transaction() as session:
            return readmodel.rebuild(session)

