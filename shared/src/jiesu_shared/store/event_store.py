"""Append-only event store with optimistic concurrency; every append also fills the outbox."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from jiesu_shared.bus.headers import headers_to_text
from jiesu_shared.catalogue import type_name_of
from jiesu_shared.events import Envelope, encode_envelope, new_event_id, utc_now
from jiesu_shared.store.tables import OutboxEntry, StoredEvent
from jiesu_shared.telemetry import current_traceparent


@dataclass(frozen=True)
class Cause:
    """What caused new events, when it is not at hand as a whole envelope (an Envelope works too)."""

    id: str
    correlationid: str
    traceparent: str | None = None


class ConcurrencyError(RuntimeError):
    """Someone else appended to the stream since it was loaded; reload and decide again."""


class EventStore:
    def __init__(self, *, source: str, topic: str) -> None:
        self.source = source
        self.topic = topic

    def load(self, session: Session, stream_id: str) -> list[Envelope]:
        rows = session.exec(
            select(StoredEvent).where(StoredEvent.stream_id == stream_id).order_by(col(StoredEvent.version))
        ).all()
        return [Envelope.model_validate_json(r.envelope) for r in rows]

    def version(self, session: Session, stream_id: str) -> int:
        """The stream's head version (0 for a new stream), without loading its events."""
        head = session.exec(select(func.max(StoredEvent.version)).where(StoredEvent.stream_id == stream_id)).one()
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
        envelopes: list[Envelope] = []
        for number, payload in enumerate(payloads, start=expected_version + 1):
            event_id = new_event_id()
            correlation = cause.correlationid if cause else (envelopes[0].correlationid if envelopes else event_id)
            envelope = Envelope(
                id=event_id,
                source=self.source,
                type=type_name_of(payload),
                subject=subject,
                time=utc_now(),
                sequence=number,
                correlationid=correlation,
                causationid=cause.id if cause else None,
                traceparent=current_traceparent() or (cause.traceparent if cause else None),
                data=payload.model_dump(mode="json"),
            )
            envelopes.append(envelope)
            session.add(StoredEvent(stream_id=stream_id, version=number, event_id=event_id, type=envelope.type,
                                    envelope=envelope.model_dump_json(), recorded_at=envelope.time))
            key, headers, value = encode_envelope(envelope)
            session.add(OutboxEntry(event_id=event_id, topic=self.topic, key=key, value=value,
                                    headers=headers_to_text(headers), created_at=envelope.time))
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConcurrencyError(f"stream {stream_id} moved past version {expected_version}") from exc
        return envelopes
