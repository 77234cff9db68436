"""Consumer runner: hands each event to the handler for its type, exactly once in effect.

- Idempotent: the event id goes into `processed_events` in the same transaction as the handler's
  writes, so a redelivered event changes nothing.
- Never silently dropped: a record that cannot be decoded or handled goes to the dead-letter topic
  with its original bytes, the reason and its source offset, and the runner goes on with the next.
- Infrastructure failures (database away) are retried without advancing the offset; a version conflict (another
  writer moved a stream on meanwhile) is decided again under the one retry policy of commands (messagebus.retry).
- The offset is committed only after the handling is durable, in the background and at most every half
  second while busy (commits.py): the next poll does not wait for the log to answer.
- Batched: the events of one poll, and of the polls within the linger after it, are handled in log order in
  one transaction (one commit, one fsync).
  When an event fails there, what came before it is committed and it is handled alone, with the retries
  and dead-lettering above, before the batch goes on.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from jiesu_shared.bus.port import Bus, OutgoingRecord, PartitionProgress, Publisher, Record, Subscription
from jiesu_shared.catalogue import PayloadError, UnknownEventType, parse_payload
from jiesu_shared.commits import BackgroundCommits
from jiesu_shared.events import DecodeError, Envelope, decode_record
from jiesu_shared.messagebus.retry import Busy, retrying
from jiesu_shared.store.database import Database
from jiesu_shared.store.tables import ProcessedEvent
from jiesu_shared.telemetry import context_from_traceparent, tracer

log = logging.getLogger(__name__)

# A handler writes through the session; the runner commits it together with the tracking row.
Handler = Callable[[Session, Envelope, BaseModel], None]
# After each poll's records are durably handled: those records and how far each held partition is read.
ProgressObserver = Callable[[Sequence[Record], Sequence[PartitionProgress]], None]

# The record a handler is handling (e.g. to learn which partition holds a case); None outside handlers.
current_record: ContextVar[Record | None] = ContextVar("current_record", default=None)


# Events handled in one transaction at most: a long batch would keep the service's HTTP writers waiting.
_EVENTS_PER_TRANSACTION = 100
_PROCESSED = ProcessedEvent.__table__  # type: ignore[attr-defined]
# A run's tracking rows go in first, in one statement that returns the ids not handled before (a redelivered
# event's row is there already): one statement where a look and an insert were two. Built once: building and
# keying the statement for every batch cost more than running it.
_TRACK_NEW = {"sqlite": sqlite_insert(_PROCESSED).on_conflict_do_nothing().returning(_PROCESSED.c.event_id),
              "postgresql": postgresql_insert(_PROCESSED).on_conflict_do_nothing().returning(_PROCESSED.c.event_id)}


@dataclass(frozen=True)
class _Routed:
    record: Record
    envelope: Envelope
    payload: BaseModel
    handler: Handler


class Unprocessable(Exception):
    """Raised by a handler for an event it can never handle: dead-letter it at once, no retries."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        bus: Bus,
        topic: str,
        dead_letter_topic: str,
        database: Database,
        handlers: Mapping[str, Handler],
        max_attempts: int = 3,
        retry_pause: float = 0.2,
        on_batch_handled: Callable[[], None] = lambda: None,
        on_progress: ProgressObserver | None = None,
        linger_seconds: float = 0.0,
    ) -> None:
        self.group = group
        self._bus = bus
        self._topic = topic
        self._dlq_topic = dead_letter_topic
        self._db = database
        self._handlers = dict(handlers)
        self._max_attempts = max_attempts
        self._retry_pause = retry_pause
        self._on_batch_handled = on_batch_handled  # e.g. wake a worker for what the handlers wrote
        self._on_progress = on_progress
        self._linger = linger_seconds
        self._tracer = tracer("jiesu.consumer")

    async def run(self, stop: asyncio.Event) -> None:
        subscription = self._bus.subscription(group=self.group, topics=[self._topic])
        dead_letters = self._bus.publisher()
        await dead_letters.start()
        await subscription.start()
        commits = BackgroundCommits(subscription)
        try:
            while not stop.is_set():
                records = await subscription.poll(timeout=0.5)
                if records and self._linger:
                    await self._gather(subscription, records)
                await self._process_batch(records, subscription, commits, dead_letters, stop)
                if not records:
                    commits.idle()
                if self._on_progress is not None and not stop.is_set():
                    self._on_progress(records, await subscription.progress())
        finally:
            await commits.flush()
            await subscription.stop()
            await dead_letters.stop()

    async def _gather(self, subscription: Subscription, records: list[Record]) -> None:
        """What else the log gets within the linger after the first records, for the same turn: taken once the
        linger is over, not as each append comes (a wake-up and a read each cost as much as a record's routing)."""
        if len(records) < _EVENTS_PER_TRANSACTION:
            await asyncio.sleep(self._linger)
            records += await subscription.poll(timeout=0, max_records=_EVENTS_PER_TRANSACTION - len(records))

    async def _process_batch(self, records: list[Record], subscription: Subscription, commits: BackgroundCommits,
                             dead_letters: Publisher, stop: asyncio.Event) -> None:
        last_per_partition: dict[tuple[str, int], Record] = {}
        handled = 0
        for start in range(0, len(records), _EVENTS_PER_TRANSACTION):
            if stop.is_set():
                await subscription.rewind(records[start])  # not handled: the next member starts here
                break
            chunk = records[start:start + _EVENTS_PER_TRANSACTION]
            handled += await self._process_together(chunk, dead_letters)
            for record in chunk:
                last_per_partition[(record.topic, record.partition)] = record
        if handled:  # records that were not for us wrote nothing: nobody to wake
            self._on_batch_handled()
        if last_per_partition:
            commits.handled(last_per_partition.values())

    async def _process_together(self, records: list[Record], dead_letters: Publisher) -> int:
        """Handle the records for us; how many went to a handler."""
        routed = [r for r in [await self._route(record, dead_letters) for record in records] if r is not None]
        done = 0
        while done < len(routed):
            done += await asyncio.to_thread(self._handle_run, routed[done:])
            if done < len(routed):  # this one failed in the batch: alone, with retries or a dead letter
                await self._handle_alone(routed[done], dead_letters)
                done += 1
        return len(routed)

    async def process(self, record: Record, dead_letters: Publisher) -> None:
        """Handle one record on its own (a batch of one)."""
        routed = await self._route(record, dead_letters)
        if routed is not None:
            await self._handle_alone(routed, dead_letters)

    async def _route(self, record: Record, dead_letters: Publisher) -> _Routed | None:
        """Decode the record and find its handler; None when it was dead-lettered or is not for us."""
        if (kind := record.header("ce_type")) is not None and kind.decode(errors="replace") not in self._handlers:
            return None  # not for us, known from its type header without decoding it (whoever handles it checks it)
        try:
            envelope = decode_record(record.headers, record.value)
        except DecodeError as exc:
            await self._dead_letter(record, f"undecodable: {exc}", dead_letters)
            return None
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return None  # not an event this service cares about
        try:
            payload = parse_payload(envelope.type, envelope.data)
        except UnknownEventType:  # a handler for a type the catalogue does not know: nothing can check it
            await self._dead_letter(record, f"unknown event type {envelope.type}", dead_letters)
            return None
        except PayloadError as exc:
            await self._dead_letter(record, f"invalid payload: {exc}", dead_letters)
            return None
        return _Routed(record, envelope, payload, handler)

    async def _handle_alone(self, routed: _Routed, dead_letters: Publisher) -> None:
        reason = await self._handle_with_retries(routed)
        if reason is not None:
            await self._dead_letter(routed.record, reason, dead_letters)

    def _handle_run(self, run: list[_Routed]) -> int:
        """Handle events in one transaction until one fails; return how many are durably handled. No savepoint per
        event (SAVEPOINT and RELEASE were ~10 % of a consumer's CPU): when one fails, the whole transaction is
        rolled back, and the events before it are handled again in one of their own."""
        failed_at = self._commit_run(run)
        if failed_at is not None and failed_at > 0 and self._commit_run(run[:failed_at]) is not None:
            return 0
        return len(run) if failed_at is None else failed_at

    def _commit_run(self, run: list[_Routed]) -> int | None:
        """None when the whole run was handled and committed, else the index of the event that failed (0 when
        the commit did) and nothing was. The run's tracking rows go in first, in one statement that says which
        events were not handled before."""
        failed_at: int | None = None
        try:
            with self._db.transaction() as session:
                new = self._track_new(session, run)
                for index, routed in enumerate(run):
                    if routed.envelope.id not in new:
                        continue  # redelivered: already handled (or a second copy in this run)
                    new.discard(routed.envelope.id)
                    failed_at = index
                    self._call_handler(session, routed)
                    failed_at = None
        except Exception:
            if failed_at is None:
                log.warning("a batch of %d events could not be committed; handling them one by one", len(run))
            return failed_at or 0
        return None

    async def _handle_with_retries(self, routed: _Routed) -> str | None:
        """Handle the event; return None when done, or the reason to dead-letter it."""
        envelope = routed.envelope
        attempt = 0
        while True:
            attempt += 1
            try:
                await asyncio.to_thread(self._handle_once, routed)
                return None
            except Unprocessable as exc:
                return f"unprocessable: {exc}"
            except Busy as exc:  # the one retry policy for a moved stream is spent (see messagebus.retry)
                return f"handler failed: {exc}"
            except DBAPIError as exc:
                if exc.connection_invalidated or _is_connection_problem(exc):
                    log.warning("database unavailable while handling %s; retrying", envelope.id)
                    await asyncio.sleep(min(5.0, self._retry_pause * attempt))
                    attempt = 0
                    continue
                if attempt >= self._max_attempts:
                    return f"handler failed after {attempt} attempts: {_without_input(exc)}"
            except Exception as exc:
                if attempt >= self._max_attempts:
                    log.exception("handler for %s failed %d times", envelope.type, attempt)
                    return f"handler failed after {attempt} attempts: {_without_input(exc)}"
            await asyncio.sleep(self._retry_pause * attempt)

    def _handle_once(self, routed: _Routed) -> None:
        """One transaction, taken again while a concurrent writer moved a stream on under it, as a command's."""
        def once() -> None:
            with self._db.transaction() as session:
                self._apply(session, routed)
        retrying(once)

    def _apply(self, session: Session, routed: _Routed) -> None:
        """The handler's writes and the tracking row, in the caller's transaction."""
        if session.get(ProcessedEvent, (self.group, routed.envelope.id)) is not None:
            return  # redelivered: already handled
        self._call_handler(session, routed)
        session.add(ProcessedEvent(**self._tracking_row(routed)))

    def _track_new(self, session: Session, run: list[_Routed]) -> set[str]:
        """Insert the run's tracking rows (a copy's row is its first's); the ids that had none before."""
        connection = session.connection()
        firsts = {routed.envelope.id: routed for routed in reversed(run)}  # reversed: each id's first copy wins
        rows = [self._tracking_row(routed) for routed in firsts.values()]
        return {event_id for (event_id,) in connection.execute(_TRACK_NEW[connection.dialect.name], rows)}

    def _tracking_row(self, routed: _Routed) -> dict:
        record = routed.record
        return {"consumer_group": self.group, "event_id": routed.envelope.id, "topic": record.topic,
                "partition": record.partition, "offset": record.offset, "processed_at": datetime.now(UTC)}

    def _call_handler(self, session: Session, routed: _Routed) -> None:
        envelope = routed.envelope
        with self._tracer.start_as_current_span(
            f"consume {envelope.type}", context=context_from_traceparent(envelope.traceparent),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.system": "jiesu", "messaging.consumer.group.name": self.group,
                        "messaging.message.id": envelope.id, "jiesu.case_id": envelope.subject,
                        "messaging.jiesu.appended_at_ms": routed.record.timestamp_ms},  # when the log took it
        ):
            token = current_record.set(routed.record)
            try:
                routed.handler(session, envelope, routed.payload)
            finally:
                current_record.reset(token)

    async def _dead_letter(self, record: Record, reason: str, dead_letters: Publisher) -> None:
        await dead_letters.publish([dead_letter_record(record, reason, self.group, self._dlq_topic)])


def dead_letter_record(record: Record, reason: str, group: str, dead_letter_topic: str) -> OutgoingRecord:
    """The record as it came, with why it could not be handled and where it was read, for the dead-letter topic
    (logged: a dead letter always needs a person)."""
    log.error("dead-lettering %s@%d/%d: %s", record.topic, record.partition, record.offset, reason)
    headers = tuple(record.headers) + (
        ("dlq_reason", reason[:4000].encode()),
        ("dlq_source_topic", record.topic.encode()),
        ("dlq_source_partition", str(record.partition).encode()),
        ("dlq_source_offset", str(record.offset).encode()),
        ("dlq_consumer_group", group.encode()),
        ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
    )
    return OutgoingRecord(dead_letter_topic, record.key, record.value, headers)


def _without_input(exc: Exception) -> str:
    """The failure's kind: an exception's text may quote the event (a KeyError, a database error's
    parameters), and a dead letter's reason must not. Payload errors already name fields, not values."""
    if isinstance(exc, PayloadError | Unprocessable):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, DBAPIError):
        return f"{type(exc).__name__} ({type(exc.orig).__name__})"
    return type(exc).__name__


def _is_connection_problem(exc: DBAPIError) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError) and "locked" not in str(exc.orig)
