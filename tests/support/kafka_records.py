"""Every record of a Kafka topic, read with aiokafka straight from the broker (not through Jiesu's own bus),
as the bytes an outsider with read access to the topic would see: key, headers and value."""
from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def topic_bytes(bootstrap: str, topic: str, *, timeout: float = 60) -> tuple[int, bytes]:
    """(number of records, their keys, header names and values and values joined); (0, b"") if no topic."""
    numbers = await _partitions(bootstrap, topic)
    if not numbers:
        return 0, b""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        return await _read_to(consumer, ends, time.monotonic() + timeout)
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t.get("topic") == topic and not t.get("error_code")
                  for p in t["partitions"])


async def _read_to(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], deadline: float) -> tuple[int, bytes]:
    parts: list[bytes] = []
    count = 0
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        if time.monotonic() > deadline:
            raise AssertionError(f"could not read the topic to its end offsets {ends} in time")
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for r in records:
                count += 1
                parts += [r.key or b"", r.value or b""]
                parts += [name.encode() + b"=" + (value or b"") for name, value in r.headers]
    return count, b"\n".join(parts)


def read_topic(bootstrap: str, topic: str) -> tuple[int, bytes]:
    return asyncio.run(topic_bytes(bootstrap, topic))
