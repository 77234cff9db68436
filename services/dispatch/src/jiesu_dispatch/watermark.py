"""How far dispatch has read the log, in event time, per partition: a deadline is decided only once the
partition that holds its case is read past it (as Flink's event-time timers and Kafka Streams' stream
time do), so an on-time stopping event that is still on its way is never overtaken by its timer.

A partition's watermark is the later of the newest event time read on it and the moment it was last
seen read to its end, less the allowed lateness (producers' outboxes reach the log a moment after
their events happen). It lives in memory only: a restarted or newly assigned member decides nothing
for a partition until it has read it again. When the log was out of reach for a while, producers'
outboxes hold events made meanwhile; the watermark then stays where it was for a grace period while
they flush, instead of leaping to the present.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jiesu_shared.bus.port import PartitionProgress, Record


def event_time(record: Record) -> datetime:
    """The CloudEvent's own time (ce_time), else when the log took the record."""
    raw = record.header("ce_time")
    if raw is not None:
        try:
            moment = datetime.fromisoformat(raw.decode().replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)


@dataclass
class Watermarks:
    allowed_lateness: timedelta = timedelta(seconds=2)
    outage_after: timedelta = timedelta(seconds=3)  # no answer from the log for this long: it was away
    recovery_grace: timedelta = timedelta(seconds=5)  # then hold the watermark this long while outboxes flush
    _read: dict[int, datetime] = field(default_factory=dict)
    _fetched: dict[int, float] = field(default_factory=dict)
    _held: dict[int, tuple[float, datetime | None]] = field(default_factory=dict)  # until (epoch s), frozen at
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listeners: list[Callable[[Sequence[PartitionProgress]], None]] = field(default_factory=list)

    def listen(self, listener: Callable[[Sequence[PartitionProgress]], None]) -> None:
        """Call `listener` with the consumer's progress after each observation (the timer worker: a timer
        waiting for the log may now be read past)."""
        self._listeners.append(listener)

    def observe(self, records: Sequence[Record], progress: Sequence[PartitionProgress]) -> None:
        """The consumer handled `records` and reports how far it has read each partition it holds."""
        with self._lock:
            for p in progress:
                self._note_fetch(p)
            for record in records:
                self._advance(record.partition, event_time(record))
            for p in progress:
                if p.caught_up:
                    self._advance(p.partition, datetime.fromtimestamp(p.fetched_at, UTC))
        for listener in self._listeners:
            listener(progress)

    def of(self, partition: int | None) -> datetime | None:
        """The event time up to which the partition is read; None while nothing is known. Without a
        partition (a case never seen on the log), the least of all."""
        with self._lock:
            if partition is None:
                marks = [self._mark(p) for p in self._read]
                known = [m for m in marks if m is not None]
                return min(known) if known and len(known) == len(marks) else None
            return self._mark(partition)

    def _mark(self, partition: int) -> datetime | None:
        read = self._read.get(partition)
        mark = None if read is None else read - self.allowed_lateness
        held = self._held.get(partition)
        if held is not None and datetime.now(UTC).timestamp() < held[0]:
            return held[1] if mark is None or held[1] is None else min(mark, held[1])
        return mark

    def _advance(self, partition: int, moment: datetime) -> None:
        if partition not in self._read or moment > self._read[partition]:
            self._read[partition] = moment

    def _note_fetch(self, p: PartitionProgress) -> None:
        last = self._fetched.get(p.partition)
        if last is not None and p.fetched_at - last > self.outage_after.total_seconds():
            frozen = self._mark(p.partition)
            self._held[p.partition] = (p.fetched_at + self.recovery_grace.total_seconds(), frozen)
        self._fetched[p.partition] = p.fetched_at
