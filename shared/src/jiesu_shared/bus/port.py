"""The bus port: what the services need from a log, whichever adapter (Kafka or embedded) is behind it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=tuple)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        """Append records in order; return only once the log has durably acknowledged all of them."""


@runtime_checkable
class AppendsInThread(Protocol):
    """A publisher that can also append from a worker thread, blocking (the embedded log: a local file). The
    outbox relay then reads, appends and removes in one hop to a thread, not three: a hop costs ~70 us of CPU."""

    def publish_blocking(self, records: Sequence[OutgoingRecord]) -> None:
        """`publish`, called from a worker thread."""


@dataclass(frozen=True)
class PartitionProgress:
    """How far a member has read one of its partitions: at `fetched_at` (epoch seconds, the latest answer
    from the log for it) the member had been handed every record then on it, if `caught_up`."""

    topic: str
    partition: int
    fetched_at: float
    caught_up: bool


@dataclass(frozen=True)
class Backlog:
    """What a member has not been handed yet: `records` on the partitions it holds beyond its position, as the
    log last reported each partition's end; `reported_at` (epoch seconds) is the oldest of those reports."""

    records: int
    reported_at: float


class Subscription(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def poll(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        """Next records after the group's position, in log order per partition; [] after `timeout` seconds."""

    async def commit(self, *records: Record) -> None:
        """Move the group's committed position past each record, in one request to the log (call only once
        their handling is durable; at most one record per partition)."""

    async def rewind(self, record: Record) -> None:
        """Make the next poll return `record` again (after a failure before it was handled)."""

    async def progress(self) -> list[PartitionProgress]:
        """The partitions this member holds now, and how far it has read each (for event-time watermarks)."""

    async def backlog(self) -> Backlog | None:
        """How far the member is from the end of every partition it holds, from what the log last answered (no
        request to the log); None while it does not know (joining or rebalancing, a held partition not yet
        fetched). A member that holds no partition has nothing to read: records 0."""


class Bus(Protocol):
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...
    def publisher(self) -> Publisher: ...
    def subscription(self, *, group: str, topics: Sequence[str]) -> Subscription:
        """A member of consumer group `group`; a new group starts at the beginning of the log."""
