"""New cases, recorded in batches: one transaction (event store + outbox + read model + sealed contact +
idempotency) for every case waiting, one fsync for all (see group_commit). CaseRecorder is the message bus's
batch handler for PreparedCase; the bus recalls and remembers the batch's Idempotency-Keys around it.

Within a batch each case is decided as if the ones before it had committed already: an Idempotency-Key
answered earlier in the batch is a replay (the bus's doing), and a case earlier in the batch counts as an
earlier case on the same subject at the same place.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue.common import Channel, Place, RequestType, Urgency
from jiesu_shared.messagebus import Answer, IdempotencyKey
from jiesu_shared.store import EventStore
from jiesu_shared.store.event_store import Append
from jiesu_shared.telemetry import current_traceparent

from jiesu_intake import privacy, readmodel
from jiesu_intake.domain.case import UNCLASSIFIED, EarlierCase, ReceiveCase, decide_receive
from jiesu_intake.domain.classification import Taxonomy, Verdict, classify
from jiesu_intake.domain.redaction import Redacted, redact
from jiesu_intake.ids import new_case_id
from jiesu_intake.privacy import Contact


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
class PreparedCase:
    """A new case with its pure work done (redacted, classified) before it waits for the writer."""

    case_id: str  # chosen up front, so a retry after an unclear commit cannot record the case twice
    new: NewCase
    redacted: Redacted
    verdict: Verdict
    idempotency: IdempotencyKey | None
    traceparent: str | None  # the request's trace: the writer's thread is in none


@dataclass(frozen=True)
class Received:
    case_id: str
    replayed: bool  # an earlier answer to the same Idempotency-Key
    # The read model's row as committed, read like a CaseRow (building one costs more than the insert);
    # None for a replay.
    row: SimpleNamespace | None


def prepare(taxonomy: Taxonomy, new: NewCase, idempotency: IdempotencyKey | None) -> PreparedCase:
    name = new.contact.name if new.contact else None
    redacted = redact(new.text.strip(), name=name)
    return PreparedCase(case_id=new_case_id(), new=new, redacted=redacted,
                        verdict=classify(taxonomy, redacted.text, category=new.category), idempotency=idempotency,
                        traceparent=current_traceparent())


@dataclass
class CaseRecorder:
    """The bus's batch handler for new cases: records them in the bus's transaction; each answers
    `{"case_id"}` (what a replayed Idempotency-Key gets) and carries the read model's row as committed."""

    store: EventStore
    duplicate_window: timedelta

    def __call__(self, session: Session, cases: Sequence[PreparedCase]) -> list[Answer]:
        return _Batch(session, self.store, self.duplicate_window).record(cases)


def received(answer: Answer) -> Received:
    return Received(answer.body["case_id"], answer.replayed, SimpleNamespace(**answer.result) if answer.result else None)


class _Batch:
    def __init__(self, session: Session, store: EventStore, window: timedelta) -> None:
        self.session = session
        self.store = store
        self.window = window
        # Cases of this batch that later ones may duplicate: (subject, place) -> (received_at, case id)
        self.open_here: dict[tuple, list[tuple[datetime, str]]] = defaultdict(list)

    def record(self, cases: Sequence[PreparedCase]) -> list[Answer]:
        appends = [Append(stream_of(case.case_id), 0, case.case_id, self._decide(case), traceparent=case.traceparent)
                   for case in cases]
        rows = [readmodel.new_case_row([(event, envelope.time) for event, envelope in zip(a.payloads, envelopes)])
                for a, envelopes in zip(appends, self.store.append_many(self.session, appends), strict=True)]
        readmodel.insert_new_cases(self.session, rows)
        return [Answer({"case_id": row["case_id"]}, result=row) for row in rows]

    def _decide(self, case: PreparedCase) -> list[BaseModel]:
        new, verdict = case.new, case.verdict
        given, place = new.contact or Contact(), new.place
        contact = Contact(name=given.name, phone=given.phone, id_number=given.id_number, email=given.email,
                          in_text=case.redacted.originals, address=place.address, address_id=place.address_id,
                          latitude=place.latitude,
                          longitude=place.longitude)
        command = ReceiveCase(
            case_id=case.case_id, channel=new.channel, text=case.redacted.text, category=verdict.category,
            place=generalised(place), received_at=new.received_at,
            request_type=new.request_type or verdict.request_type,
            urgency=new.urgency or verdict.urgency, classification=verdict.classification,
            contact=None if contact.is_empty() else privacy.seal(self.session, contact))
        earlier = self._earlier(verdict.category, new.place, new.received_at)
        events = list(decide_receive(command, None, earlier))
        if earlier is None and verdict.category != UNCLASSIFIED:
            self.open_here[_problem(verdict.category, new.place)].append((new.received_at, case.case_id))
        return events

    def _earlier(self, category: str, place: Place, received_at: datetime) -> EarlierCase | None:
        """A committed case first (it came earlier), else the earliest open one in this batch."""
        committed = readmodel.earlier_case(self.session, category=category, district=place.district,
                                           street=place.street, community=place.community,
                                           received_at=received_at, window=self.window)
        if committed is not None or category == UNCLASSIFIED:
            return committed
        here = [c for c in self.open_here.get(_problem(category, place), ()) if c[0] >= received_at - self.window]
        if not here:
            return None
        return readmodel.same_problem(min(here)[1], category, place.community or place.street, self.window)


def generalised(place: Place) -> Place:
    """The place as the log keeps it: district/street/community/grid; the exact address and point are sealed."""
    return place.model_copy(update={"address": None, "address_id": None, "latitude": None, "longitude": None})


def _problem(category: str, place: Place) -> tuple:
    return category, place.district, place.street, place.community or None
