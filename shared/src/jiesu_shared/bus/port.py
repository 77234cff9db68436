"""The bus port: what the services need from a log, whichever adapter (Kafka or embedded) is behind it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

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


class Subscription(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def poll(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        """Next records after the group's position, in log order per partition; [] after `timeout` seconds."""

    async def commit(self, record: Record) -> None:
        """Move the group's committed position past `record` (call only once its handling is durable)."""

    async def rewind(self, record: Record) -> None:
        """Make the next poll return `record` again (after a failure before it was handled)."""


class Bus(Protocol):
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...
    def publisher(self) -> Publisher: ...
    def subscription(self, *, group: str, topics: Sequence[str]) -> Subscription:
        """A member of consumer group `group`; a new group starts at the beginning of the log."""
