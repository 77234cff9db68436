"""Where a replay reads the log from, each bounded and in a fixed order so two replays see the same thing.

- Kafka: every partition of the topic from offset 0 up to the end offsets seen at the start (records
  appended later are left for the next replay), partition after partition, in offset order.
- The embedded log (SQLite file): the topic's single partition, up to its end at the start.
- An exported file: JSON Lines, one CloudEvent in structured mode per line (what `events.jsonl` holds).
A record that is not a valid Jiesu CloudEvent is yielded as poison, with its position, never dropped.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from jiesu_shared.bus.headers import header_map_from_text, text_header_map
from jiesu_shared.events import DecodeError, Envelope, EventView, decode_event, decode_text_event, plain_structured_event


class Item(NamedTuple):  # a named tuple: millions are made in a replay, and a frozen dataclass costs more
    partition: int | None  # None for a file
    offset: int  # the log offset, or the line number (from 1) in a file
    envelope: Envelope | EventView | None = None
    poison_reason: str | None = None
    poison_bytes: bytes = b""

    @property
    def position(self) -> str:
        return f"line {self.offset}" if self.partition is None else f"{self.partition}/{self.offset}"

    def poison_report(self) -> dict:
        return {"position": self.position, "partition": self.partition, "offset": self.offset,
                "reason": self.poison_reason, "bytes": len(self.poison_bytes),
                "sha256": hashlib.sha256(self.poison_bytes).hexdigest()}


def from_record(partition: int, offset: int, headers: Mapping[str, bytes | str], value: bytes | None) -> Item:
    try:
        return Item(partition, offset, decode_event(headers, value))
    except DecodeError as exc:
        return Item(partition, offset, poison_reason=str(exc)[:500], poison_bytes=value or b"")


def from_stored_record(offset: int, headers_text: str, value: bytes | None) -> Item:
    """A record of the embedded log, whose headers are stored as text: usually all text values, decoded
    without checking each one (a value of another JSON type fails the decoder: poison all the same)."""
    try:
        headers = text_header_map(headers_text)
        if headers is None:
            return from_record(0, offset, header_map_from_text(headers_text), value)
        return Item(0, offset, decode_text_event(headers, value))
    except (DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        return Item(0, offset, poison_reason=f"undecodable record: {exc}"[:500], poison_bytes=value or b"")


class FileSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file {path.name}"

    async def total(self) -> int:
        with self.path.open("rb") as f:
            return sum(1 for _ in f)

    async def items(self) -> AsyncIterator[Item]:
        with self.path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    yield _from_line(number, line)


def _from_line(number: int, line: bytes) -> Item:
    if (event := plain_structured_event(line)) is not None:
        return Item(None, number, event)
    try:  # the model decides what is unusual, and explains what is wrong
        return Item(None, number, envelope=Envelope.model_validate_json(line))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where}: {first['msg']}" if where else first["msg"]
        return Item(None, number, poison_reason=f"not a Jiesu CloudEvent: {reason}"[:500], poison_bytes=line.rstrip(b"\n"))


class EmbeddedSource:
    def __init__(self, path: Path, topic: str) -> None:
        self.path, self.topic = path, topic
        self.description = f"embedded log {path.name} topic {topic}"
        self._end: int | None = None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    async def total(self) -> int:
        if self._end is None:  # the bound is fixed once, when the replay starts
            conn = self._connect()
            try:
                row = conn.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?", (self.topic,))
                self._end = row.fetchone()[0]
            finally:
                conn.close()
        return self._end

    async def items(self) -> AsyncIterator[Item]:
        async for rows in self.row_batches():
            for offset, value, headers in rows:
                yield from_stored_record(offset, headers, value)

    async def row_batches(self) -> AsyncIterator[list[tuple[int, bytes | None, str]]]:
        """The stored records as they are, (offset, value, headers text), in offset order up to the end."""
        end = self._end if self._end is not None else await self.total()
        position, conn = 0, self._connect()
        try:
            while position < end:
                rows = conn.execute("SELECT offset, value, headers FROM records WHERE topic = ? AND offset >= ? "
                                    "AND offset < ? ORDER BY offset LIMIT 1000", (self.topic, position, end)).fetchall()
                if not rows:
                    break
                yield rows
                position = rows[-1][0] + 1
        finally:
            conn.close()


class KafkaSource:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap_servers, topic
        self.description = f"kafka topic {topic}"
        self._bounds: dict[int, tuple[int, int]] = {}

    async def total(self) -> int:
        if not self._bounds:  # the bounds are fixed once, when the replay starts
            await self._find_bounds()
        return sum(end - start for start, end in self._bounds.values())

    async def _find_bounds(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        partitions = await self._partitions()
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    isolation_level="read_committed")
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in partitions]
            starts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
            self._bounds = {tp.partition: (starts[tp], ends[tp]) for tp in tps}
        finally:
            await consumer.stop()

    async def _partitions(self) -> list[int]:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics([self.topic])
        finally:
            await admin.close()
        found = [t for t in described if t.get("topic") == self.topic and not t.get("error_code")]
        if not found:
            raise LookupError(f"topic {self.topic} does not exist on {self.bootstrap}")
        return sorted(p["partition"] for p in found[0]["partitions"])

    async def items(self) -> AsyncIterator[Item]:
        from aiokafka import AIOKafkaConsumer

        if not self._bounds:
            await self.total()
        # one consumer for every partition, in turn: starting a consumer per partition costs seconds
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    isolation_level="read_committed", fetch_max_bytes=64 * 1024 * 1024,
                                    max_partition_fetch_bytes=16 * 1024 * 1024)
        await consumer.start()
        try:
            for partition, (start, end) in sorted(self._bounds.items()):
                async for item in self._partition(consumer, partition, start, end):
                    yield item
        finally:
            await consumer.stop()

    async def _partition(self, consumer, partition: int, start: int, end: int) -> AsyncIterator[Item]:
        from aiokafka import TopicPartition

        if start >= end:
            return
        tp = TopicPartition(self.topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        while await consumer.position(tp) < end:
            batches = await consumer.getmany(tp, timeout_ms=1000, max_records=10000)
            for m in batches.get(tp, []):
                if m.offset >= end:
                    return
                yield from_record(partition, m.offset, dict(m.headers or ()), m.value)
