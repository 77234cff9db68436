"""Where an offline log goes: a JSON Lines file (structured CloudEvents), the embedded log, or Kafka."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from jiesu_shared.bus.port import Bus, OutgoingRecord
from jiesu_shared.events import Envelope, encode_envelope


def write_jsonl(events: Iterable[Envelope], path: Path) -> int:
    """One CloudEvent per line in structured JSON, the format audit's replay reads from a file."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for envelope in events:
            out.write(envelope.model_dump_json() + "\n")
            count += 1
    return count


def _batches(events: Iterable[Envelope], size: int) -> Iterator[list[Envelope]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield batch


async def publish_to_bus(events: Iterable[Envelope], bus: Bus, topic: str, batch_size: int = 1000) -> int:
    """Append in Kafka's binary content mode, keyed by case, exactly as the services' relays do."""
    await bus.ensure_topics([topic])
    publisher = bus.publisher()
    await publisher.start()
    count = 0
    try:
        for batch in _batches(events, batch_size):
            records = []
            for envelope in batch:
                key, headers, value = encode_envelope(envelope)
                records.append(OutgoingRecord(topic, key, value, tuple(headers)))
            await publisher.publish(records)
            count += len(records)
    finally:
        await publisher.stop()
    return count


def publish(events: Iterable[Envelope], bus: Bus, topic: str) -> int:
    return asyncio.run(publish_to_bus(events, bus, topic))
