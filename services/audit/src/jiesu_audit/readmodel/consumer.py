"""Audit's consumer: reads the log in long stretches and applies each to the read models in one bulk
transaction (the catch-up of a fresh audit and the live tail are the same path).

- Exactly once in effect: each partition's position is stored with the facts; a redelivered record below
  it is skipped, and an event id already on the timeline (a relay's duplicate) is not folded again.
- Nothing dropped: a record that is not a valid Jiesu CloudEvent, or whose payload the catalogue refuses,
  goes to the dead-letter topic (original bytes, reason, position) before the stretch is applied.
- A stretch is applied when it is long (`stretch_events`) or the log has nothing more for now and its first
  event has waited `linger_seconds`, so a busy log costs one transaction per many thousand events, a steady
  trickle one per linger (each transaction rewrites the touched cases' facts and stores the positions: its
  fixed cost was most of audit's CPU at 100 cases/s), and a quiet log shows each event within the linger.
- The group's offsets are committed in the background, at most every half second (`commits.py`): the stored
  positions, not the group's, are what guard against applying twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jiesu_shared.bus.headers import headers_from_text
from jiesu_shared.bus.port import Backlog, Bus, Publisher, Record, Subscription
from jiesu_shared.catalogue import PayloadError, UnknownEventType, parse_payload
from jiesu_shared.commits import BackgroundCommits
from jiesu_shared.consumer import dead_letter_record
from jiesu_shared.events import DecodeError, decode_event
from jiesu_shared.messagebus.retry import ATTEMPTS
from jiesu_shared.store import Database

from jiesu_audit.queries.confidence import import_when_there_is_room
from jiesu_audit.readmodel.bulk_load import restore_indexes
from jiesu_audit.readmodel.catchup import EmbeddedCatchUp
from jiesu_audit.readmodel.log_reading import data_text
from jiesu_audit.readmodel.projector import Decoded, Projector, StaleStretch
from jiesu_audit.readmodel.states import CaseStates

log = logging.getLogger(__name__)
_POLL_RECORDS = 10_000
# A live trickle's few records are decoded on the event loop: a hop to a worker thread costs ~70 us of CPU,
# as much as decoding a few records; a backlog's many go to the thread, so the questions are not held up.
_DECODED_ON_THE_LOOP = 16


@dataclass
class Progress:
    """What `/health` tells: whether this instance's stored position has reached the end of every partition it
    holds, as the log last reported those ends (noted at each poll, so a question costs no request to the log)."""
    events: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    # Records between the stored positions and the log's ends (handed but not yet applied, and not yet handed),
    # at the consumer's last look; None while unknown (a catch-up, joining or rebalancing).
    records_behind: int | None = None
    at_end_as_of: float | None = None  # epoch time of the log's answer that showed it at the end; None if behind
    reached_end_wall: datetime | None = None

    def note(self, backlog: Backlog | None, pending: int) -> None:
        """The consumer's look after a poll: `pending` records handed and not yet applied."""
        self.records_behind = None if backlog is None else backlog.records + pending
        if backlog is not None and self.records_behind == 0:
            self.at_end_as_of = backlog.reported_at
            self.reached_end_wall = datetime.fromtimestamp(backlog.reported_at, UTC)
        else:
            self.at_end_as_of = None

    def view(self, within_seconds: float) -> dict[str, Any]:
        fresh = self.at_end_as_of is not None and time.time() - self.at_end_as_of <= within_seconds
        return {"caught_up": fresh, "caught_up_within_seconds": within_seconds,
                "records_behind": self.records_behind,
                "last_reached_end_of_log": self.reached_end_wall.isoformat() if self.reached_end_wall else None,
                "events_applied": self.events, "duplicates_skipped": self.duplicates,
                "dead_lettered": self.dead_letters}


class AuditConsumer:
    def __init__(self, *, bus: Bus, group: str, topic: str, dead_letter_topic: str, database: Database,
                 states: CaseStates, stretch_events: int, embedded_log: Path | None = None,
                 catch_up_cases: int = 10_000, refresh_seconds: float = 5.0, linger_seconds: float = 0.0) -> None:
        self.bus, self.group, self.topic, self.dlq = bus, group, topic, dead_letter_topic
        self.projector = Projector(database, topic, states, refresh_seconds)
        self.stretch_events = stretch_events
        self.linger_seconds = linger_seconds
        self.progress = Progress()
        self.catch_up = EmbeddedCatchUp(embedded_log, topic, self.projector, stretch_events,
                                        catch_up_cases) if embedded_log else None

    async def run(self, stop: asyncio.Event) -> None:
        subscription = self.bus.subscription(group=self.group, topics=[self.topic])
        dead_letters = self.bus.publisher()
        await dead_letters.start()
        await subscription.start()
        try:
            await asyncio.to_thread(self.projector.adopt_old_read_model)
            if self.catch_up is not None:
                await self._catch_up(self.catch_up, subscription, dead_letters, stop)
            await self._loop(subscription, dead_letters, stop)
        finally:
            await subscription.stop()
            await dead_letters.stop()

    async def _loop(self, subscription: Subscription, dead_letters: Publisher, stop: asyncio.Event) -> None:
        stretch: list[Decoded] = []
        last: dict[int, Record] = {}
        pending = 0  # records handed since the last stretch was applied (its dead letters too)
        commits = BackgroundCommits(subscription)
        due = 0.0  # when the stretch being gathered is applied, unless it grows long first
        at_end = True  # the last poll read to the log's end (else the next one goes on at once)
        warmed = False
        try:
            while not stop.is_set():
                # at most half a second either way: a stop is noticed that soon, whatever the linger
                wait = min(0.5, max(0.0, due - time.monotonic())) if last else 0.5
                if last and at_end:  # gathering a trickle: read what comes meanwhile at the due time, not as
                    await asyncio.sleep(wait)  # each append comes (a wake-up and a read each)
                    wait = 0.0
                records = await subscription.poll(timeout=wait, max_records=_POLL_RECORDS)
                if records:
                    pending += len(records)
                    if not last:
                        due = time.monotonic() + self.linger_seconds
                    decoded, poison = decode_all(records) if len(records) <= _DECODED_ON_THE_LOOP \
                        else await asyncio.to_thread(decode_all, records)
                    if poison:
                        await self._dead_letter(poison, dead_letters)
                    stretch += decoded
                    for record in records:
                        last[record.partition] = record
                at_end = len(records) < _POLL_RECORDS
                if last and (len(stretch) >= self.stretch_events or (at_end and time.monotonic() >= due)):
                    await self._apply(stretch, last)
                    commits.handled(last.values())
                    stretch, last, pending = [], {}, 0
                if at_end and not last:
                    commits.idle()
                self.progress.note(await subscription.backlog(), pending)
                if not warmed and self.progress.records_behind == 0:  # once, when first caught up
                    warmed = True
                    await asyncio.to_thread(import_when_there_is_room)
        finally:
            await commits.flush()

    async def _catch_up(self, catch_up: EmbeddedCatchUp, subscription: Subscription, dead_letters: Publisher,
                        stop: asyncio.Event) -> None:
        """From the stored position to the end the log has now, by the replay's path, in one worker thread
        (a batch's transaction stays on one thread); then the subscription's group position is moved there,
        so it goes on from the end (the stored position guards either way)."""
        await asyncio.to_thread(restore_indexes, self.projector.database)  # if a catch-up was stopped short
        start, end = await asyncio.to_thread(catch_up.stored_position), await asyncio.to_thread(catch_up.end)
        if end - start < self.stretch_events:
            return  # little to catch up: the subscription does it
        loop = asyncio.get_running_loop()

        def dead_letter(poison: list) -> None:  # from the worker thread, before the batch is committed
            asyncio.run_coroutine_threadsafe(self._dead_letter(
                [(Record(self.topic, 0, offset, key, value, headers_from_text(headers), 0), reason)
                 for offset, key, value, headers, reason in poison], dead_letters), loop).result()

        try:
            finished = await asyncio.to_thread(catch_up.run, start, end, self.progress, dead_letter, stop.is_set)
        except StaleStretch:
            return  # moved on by another instance: the subscription goes on from the stored position
        except Exception:
            log.exception("the catch-up failed; the subscription goes on from the stored position (with retries)")
            return
        if finished:
            await subscription.commit(Record(self.topic, 0, end - 1, None, None, (), 0))
            log.info("caught up on the embedded log: offsets %d..%d", start, end)

    async def _applied(self, stretch: list[Decoded], ends: dict[int, int]) -> bool:
        """Apply with retries; False when a partition was moved on by another instance (the stretch is stale)."""
        for attempt in range(1, 6):
            try:
                applied = await asyncio.to_thread(self.projector.apply, stretch, ends)
                self.progress.events += applied.events
                self.progress.duplicates += applied.duplicates
                return True
            except StaleStretch:
                return False
            except Exception:
                log.exception("could not apply %d events (attempt %d); retrying", len(stretch), attempt)
                await asyncio.sleep(0.2 * attempt)
        raise RuntimeError("the read models could not be written; stopping rather than skipping events")

    async def _apply(self, stretch: list[Decoded], last: dict[int, Record]) -> None:
        ends = {p: r.offset + 1 for p, r in last.items()}
        for _ in range(ATTEMPTS):  # a stale stretch is applied again: what another instance applied is then skipped
            if await self._applied(stretch, ends):
                return
        raise RuntimeError("partitions kept moving on under this instance; stopping")

    async def _dead_letter(self, poison: list[tuple[Record, str]], dead_letters: Publisher) -> None:
        outgoing = [dead_letter_record(record, reason, self.group, self.dlq) for record, reason in poison]
        await dead_letters.publish(outgoing)
        self.progress.dead_letters += len(outgoing)


def decode_all(records: list[Record]) -> tuple[list[Decoded], list[tuple[Record, str]]]:
    """Every record decoded and its payload checked against the catalogue (an unknown type is kept: audit
    keeps every event on the timeline); the ones that are not valid, with the reason, apart."""
    decoded, poison = [], []
    for record in records:
        try:
            event = decode_event(dict(record.headers), record.value)
            parse_payload(event.type, event.data)
        except UnknownEventType:
            pass
        except DecodeError as exc:
            poison.append((record, f"undecodable: {exc}"))
            continue
        except PayloadError as exc:
            poison.append((record, f"invalid payload: {exc}"))
            continue
        decoded.append(Decoded.of(record.partition, record.offset, event, data_text(record.value, event.data)))
    return decoded, poison
