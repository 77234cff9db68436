"""New cases, recorded in batches: one transaction (event store + outbox + read model + sealed contact +
idempotency) for every case waiting, one fsync for all (see group_commit).

Within a batch each case is decided as if the ones before it had committed already: an Idempotency-Key
answered earlier in the batch is a replay, and a case earlier in the batch counts as an earlier case on
the same subject at the same place.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue.common import Channel, Place, RequestType, Urgency
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.event_store import Append
from jiesu_shared.store.idempotency import Answer, IdempotencyKeyReused, recall_many, remember_many
from jiesu_shared.telemetry import current_traceparent

from jiesu_intake import privacy, readmodel
from jiesu_intake.domain.case import UNCLASSIFIED, EarlierCase, ReceiveCase, decide_receive
from jiesu_intake.domain.classification import Taxonomy, Verdict, classify
from jiesu_intake.domain.redaction import Redacted, redact
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
class IdempotencyKey:
    scope: str
    key: str
    fingerprint: str


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
    return PreparedCase(case_id=str(uuid.uuid4()), new=new, redacted=redacted,
                        verdict=classify(taxonomy, redacted.text, category=new.category), idempotency=idempotency,
                        traceparent=current_traceparent())


@dataclass
class CaseRecorder:
    """The group commit's `write`: records a batch of prepared cases in one transaction."""

    database: Database
    store: EventStore
    duplicate_window: timedelta

    def __call__(self, cases: Sequence[PreparedCase]) -> list[Received | Exception]:
        with self.database.transaction() as session:
            return _Batch(session, self.store, self.duplicate_window).record(cases)


class _Batch:
    def __init__(self, session: Session, store: EventStore, window: timedelta) -> None:
        self.session = session
        self.store = store
        self.window = window
        # Cases of this batch that later ones may duplicate: (subject, place) -> (received_at, case id)
        self.open_here: dict[tuple, list[tuple[datetime, str]]] = defaultdict(list)

    def record(self, cases: Sequence[PreparedCase]) -> list[Received | Exception]:
        answered = self._answered_before(cases)
        outcomes: list[Received | Exception] = []
        appends: list[Append] = []
        for case in cases:
            key = case.idempotency
            if key is not None and (earlier := answered.get((key.scope, key.key))) is not None:
                fingerprint, case_id = earlier
                outcomes.append(Received(case_id, True, None) if fingerprint == key.fingerprint
                                else IdempotencyKeyReused(key.key))
                continue
            if key is not None:
                answered[(key.scope, key.key)] = (key.fingerprint, case.case_id)
            appends.append(Append(stream_of(case.case_id), 0, case.case_id, self._decide(case),
                                  traceparent=case.traceparent))
            outcomes.append(Received(case.case_id, False, None))
        rows = [readmodel.new_case_row([(event, envelope.time) for event, envelope in zip(a.payloads, envelopes)])
                for a, envelopes in zip(appends, self.store.append_many(self.session, appends), strict=True)]
        readmodel.insert_new_cases(self.session, rows)
        self._remember(cases, outcomes)
        by_id = {row["case_id"]: row for row in rows}
        return [Received(o.case_id, False, SimpleNamespace(**by_id[o.case_id]))
                if isinstance(o, Received) and not o.replayed else o for o in outcomes]

    def _answered_before(self, cases: Sequence[PreparedCase]) -> dict[tuple[str, str], tuple[str, str]]:
        """(scope, key) -> (fingerprint, case id) for the batch's keys answered in earlier transactions."""
        keys: dict[str, set[str]] = defaultdict(set)
        for case in cases:
            if case.idempotency is not None:
                keys[case.idempotency.scope].add(case.idempotency.key)
        return {(scope, key): (fingerprint, remembered.body["case_id"])
                for scope, scoped in keys.items()
                for key, (fingerprint, remembered) in recall_many(self.session, scope=scope, keys=scoped).items()}

    def _remember(self, cases: Sequence[PreparedCase], outcomes: list[Received | Exception]) -> None:
        answers: dict[str, list[Answer]] = defaultdict(list)
        for case, outcome in zip(cases, outcomes, strict=True):
            if case.idempotency is not None and isinstance(outcome, Received) and not outcome.replayed:
                key = case.idempotency
                answers[key.scope].append(Answer(key.key, key.fingerprint, 201, {"case_id": case.case_id}))
        for scope, scoped in answers.items():
            remember_many(self.session, scope=scope, answers=scoped)

    def _decide(self, case: PreparedCase) -> list[BaseModel]:
        new, verdict = case.new, case.verdict
        given, place = new.contact or Contact(), new.place
        contact = Contact(name=given.name, phone=given.phone, id_number=given.id_number, email=given.email,
                          in_text=case.redacted.originals, address=place.address, latitude=place.latitude,
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
    return place.model_copy(update={"address": None, "latitude": None, "longitude": None})


def _problem(category: str, place: Place) -> tuple:
    return category, place.district, place.street, place.community or None
