"""Intake's service layer: load state, decide, append atomically (event store + outbox + read model)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.common import Channel, Place, RequestType, SealedContact, Urgency
from jiesu_shared.catalogue.dispatch import CaseHandled
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.consumer import Unprocessable
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.idempotency import recall, remember

from jiesu_intake import privacy, readmodel
from jiesu_intake.domain.case import CaseState, ReceiveCase, decide_callback_due, decide_receive, evolve
from jiesu_intake.domain.classification import Taxonomy, Verdict, classify
from jiesu_intake.domain.redaction import Redacted, redact, restore
from jiesu_intake.privacy import Contact


class CaseNotFound(LookupError):
    pass


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


@dataclass(frozen=True)
class NewCase:
    channel: Channel
    text: str
    place: Place
    received_at: datetime
    category: str | None = None
    request_type: RequestType | None = None
    urgency: Urgency | None = None
    contact: Contact | None = None


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class CaseView:
    row: readmodel.CaseRow
    contact: Contact | None  # only when asked for by an authorised operator and not erased
    contact_erased: bool
    text: str  # the logged text, or the citizen's own words for an operator allowed to see them


def load_case(session: Session, store: EventStore, case_id: str) -> tuple[CaseState | None, int]:
    state: CaseState | None = None
    envelopes = store.load(session, stream_of(case_id))
    for envelope in envelopes:
        state = evolve(state, parse_payload(envelope.type, envelope.data))
    return state, (envelopes[-1].sequence if envelopes else 0)


@dataclass
class IntakeService:
    database: Database
    store: EventStore
    taxonomy: Taxonomy
    duplicate_window: timedelta
    clock: Callable[[], datetime] = utc_now  # injectable: the duplicate window is measured on it

    def receive(self, new: NewCase, idempotency: IdempotencyKey | None = None) -> tuple[str, bool]:
        """Record a new case; returns its id and whether it was an earlier answer to the same key."""
        name = new.contact.name if new.contact else None
        redacted = redact(new.text.strip(), name=name)  # pure work first: SQLite has one writer at a time
        verdict = classify(self.taxonomy, redacted.text, category=new.category)
        with self.database.transaction() as session:
            if idempotency is not None:
                remembered = recall(session, scope=idempotency.scope, key=idempotency.key,
                                    fingerprint=idempotency.fingerprint)
                if remembered is not None:
                    return remembered.body["case_id"], True
            case_id = str(uuid.uuid4())
            self._append(session, case_id, 0, self._received(session, case_id, new, redacted, verdict))
            if idempotency is not None:
                remember(session, scope=idempotency.scope, key=idempotency.key,
                         fingerprint=idempotency.fingerprint, status_code=201, body={"case_id": case_id})
            return case_id, False

    def _received(self, session: Session, case_id: str, new: NewCase, redacted: Redacted,
                  verdict: Verdict) -> list[BaseModel]:
        given = new.contact or Contact()
        contact = Contact(name=given.name, phone=given.phone, id_number=given.id_number, email=given.email,
                          in_text=redacted.originals)
        earlier = readmodel.earlier_case(session, category=verdict.category, district=new.place.district,
                                         street=new.place.street, community=new.place.community,
                                         received_at=new.received_at, window=self.duplicate_window)
        command = ReceiveCase(
            case_id=case_id, channel=new.channel, text=redacted.text, category=verdict.category, place=new.place,
            received_at=new.received_at, request_type=new.request_type or verdict.request_type,
            urgency=new.urgency or verdict.urgency, classification=verdict.classification,
            contact=None if contact.is_empty() else privacy.seal(session, contact))
        return list(decide_receive(command, None, earlier))

    def act(self, case_id: str, decide: Callable[[CaseState], Sequence[BaseModel]]) -> list[Envelope]:
        """Apply an operator's command to a case; the events it appended (none if nothing changed)."""
        with self.database.transaction() as session:
            state, version = load_case(session, self.store, case_id)
            if state is None:
                raise CaseNotFound(case_id)
            return self._append(session, case_id, version, list(decide(state)))

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

    def view(self, case_id: str, *, reveal: bool) -> CaseView:
        with self.database.reading() as session:  # a read: it must not queue for SQLite's one writer
            row = session.get(readmodel.CaseRow, case_id)
            if row is None:
                raise CaseNotFound(case_id)
            if not reveal or row.citizen_id is None:
                return CaseView(row=row, contact=None, contact_erased=False, text=row.text)
            try:
                contact = privacy.unseal(session, self._sealed_contact(session, case_id))
            except privacy.ContactErased:
                return CaseView(row=row, contact=None, contact_erased=True, text=row.text)
            return CaseView(row=row, contact=contact, contact_erased=False, text=restore(row.text, contact.in_text))

    def _sealed_contact(self, session: Session, case_id: str) -> SealedContact:
        first = self.store.load(session, stream_of(case_id))[0]
        received = parse_payload(first.type, first.data)
        assert isinstance(received, CaseReceived) and received.contact is not None
        return received.contact

    def erase_citizen(self, citizen_id: str, *, by: str) -> bool:
        with self.database.transaction() as session:
            return privacy.erase(session, citizen_id, by=by)

    def find_citizen(self, *, phone: str | None, id_number: str | None) -> str | None:
        with self.database.transaction() as session:
            return privacy.find_citizen(session, phone=phone, id_number=id_number)

    def rebuild_read_model(self) -> int:
        with self.database.transaction() as session:
            return readmodel.rebuild(session)

    def handlers(self) -> dict:
        return {"case.handled.v1": self.on_case_handled}
