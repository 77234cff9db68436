"""Append-only event store with optimistic concurrency; every append also fills the outbox."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import bindparam, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from jiesu_shared.bus.headers import headers_to_text
from jiesu_shared.catalogue import type_name_of
from jiesu_shared.events import Envelope, encode_envelope, new_event_id, utc_now
from jiesu_shared.store.tables import OutboxEntry, StoredEvent
from jiesu_shared.telemetry import current_traceparent

_EVENTS = insert(StoredEvent.__table__)  # type: ignore[arg-type]
_OUTBOX = insert(OutboxEntry.__table__)  # type: ignore[arg-type]
_STREAM = StoredEvent.__table__  # type: ignore[attr-defined]
_LOAD = (sa_select(_STREAM.c.envelope).where(_STREAM.c.stream_id == bindparam("stream_id"))
         .order_by(_STREAM.c.version))
_HEAD = sa_select(func.max(_STREAM.c.version)).where(_STREAM.c.stream_id == bindparam("stream_id"))


@dataclass(frozen=True)
class Cause:
    """What caused new events, when it is not at hand as a whole envelope (an Envelope works too)."""

    id: str
    correlationid: str
    traceparent: str | None = None


@dataclass(frozen=True)
class Append:
    """One stream's new events, for `EventStore.append_many`."""

    stream_id: str
    expected_version: int
    subject: str
    payloads: Sequence[BaseModel]
    cause: Envelope | Cause | None = None
    # The trace the events belong to, when they are appended away from it (e.g. by a batch writer's
    # thread); by default the current one.
    traceparent: str | None = None


class ConcurrencyError(RuntimeError):
    """Someone else appended to the stream since it was loaded; reload and decide again."""


class EventStore:
    def __init__(self, *, source: str, topic: str) -> None:
        self.source = source
        self.topic = topic

    def load(self, session: Session, stream_id: str) -> list[Envelope]:
        rows = session.connection().execute(_LOAD, {"stream_id": stream_id})  # Core: no ORM objects to build
        return [Envelope.model_validate_json(envelope) for (envelope,) in rows]

    def first(self, session: Session, stream_id: str) -> Envelope | None:
        """The stream's first event (e.g. for the correlation a command continues), without loading the rest."""
        row = session.exec(select(StoredEvent.envelope).where(StoredEvent.stream_id == stream_id)
                           .order_by(col(StoredEvent.version)).limit(1)).first()
        return Envelope.model_validate_json(row) if row is not None else None

    def version(self, session: Session, stream_id: str) -> int:
        """The stream's head version (0 for a new stream), without loading its events."""
        head = session.connection().execute(_HEAD, {"stream_id": stream_id}).scalar()  # built once: see _LOAD
        return head or 0

    def append(
        self,
        session: Session,
        *,
        stream_id: str,
        expected_version: int,
        subject: str,
        payloads: Sequence[BaseModel],
        cause: Envelope | Cause | None = None,
    ) -> list[Envelope]:
        """Append after `expected_version`; raise ConcurrencyError if that is no longer the stream's head.

        `expected_version` must be the version the decision was made from (the head when the state was
        loaded), never a head re-read just before appending: that would turn the check off. Under
        PostgreSQL's READ COMMITTED, state read from other tables in the same transaction can still be
        stale; lock those rows (SELECT … FOR UPDATE) or derive the decision from this stream.
        """
        return self.append_many(session, [Append(stream_id, expected_version, subject, payloads, cause)])[0]

    def append_many(self, session: Session, appends: Sequence[Append]) -> list[list[Envelope]]:
        """Several appends (e.g. a batch of new cases) in one statement per table; the envelopes of each.

        All or nothing: a ConcurrencyError for any stream leaves the transaction to be rolled back.
        """
        envelopes = [self._envelopes(a) for a in appends]
        events: list[dict] = []
        outbox: list[dict] = []
        for append, built in zip(appends, envelopes, strict=True):
            for envelope in built:
                events.append({"stream_id": append.stream_id, "version": envelope.sequence, "event_id": envelope.id,
                               "type": envelope.type, "envelope": envelope.model_dump_json(),
                               "recorded_at": envelope.time})
                key, headers, value = encode_envelope(envelope)
                outbox.append({"event_id": envelope.id, "topic": self.topic, "key": key, "value": value,
                               "headers": headers_to_text(headers), "created_at": envelope.time})
        if not events:
            return envelopes
        try:
            session.flush()  # the caller's pending rows first, as before: their conflicts count as concurrency
            # Core inserts, not ORM objects: nothing reads these rows back in the same session, and the
            # unit of work costs more than the writes themselves.
            connection = session.connection()
            connection.execute(_EVENTS, events)
            connection.execute(_OUTBOX, outbox)  # in append order, so the relay publishes in that order
        except IntegrityError as exc:
            moved = " or ".join(f"stream {a.stream_id} moved past version {a.expected_version}" for a in appends)
            raise ConcurrencyError(moved) from exc
        return envelopes

    def _envelopes(self, append: Append) -> list[Envelope]:
        cause = append.cause
        traceparent = append.traceparent or current_traceparent() or (cause.traceparent if cause else None)
        envelopes: list[Envelope] = []
        for number, payload in enumerate(append.payloads, start=append.expected_version + 1):
            event_id = new_event_id()
            correlation = cause.correlationid if cause else (envelopes[0].correlationid if envelopes else event_id)
            envelopes.append(Envelope(
                id=event_id,
                source=self.source,
                type=type_name_of(payload),
                subject=append.subject,
                time=utc_now(),
                sequence=number,
                correlationid=correlation,
                causationid=cause.id if cause else None,
                traceparent=traceparent,
                data=payload.model_dump(mode="json"),
            ))
        return envelopes
