"""Replay and export: events per second at each layer, from the embedded log and from Kafka.

Layers, measured in one run on the same log: the raw read (the ceiling: aiokafka's consume rate, or
the embedded log's own reader), decoding to envelopes, rebuilding every case's timeline (audit's
fold), and the full de-identified export (JSONL + Parquet + XES + OCEL). Peak memory of a replay is
measured in a child process, so the numbers are the replay's own.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.events import decode_event

from jiesu_audit.replay.sources import EmbeddedSource, from_stored_record

from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus


def prepare(events_wanted: int, log_path: Path, kafka: str | None, topic: str) -> int:
    """Write about `events_wanted` events (≈16 a case) to the embedded log and, if given, to Kafka."""
    return prepare_cases(max(1, events_wanted // 16), log_path, kafka, topic)


def prepare_cases(cases: int, log_path: Path, kafka: str | None, topic: str) -> int:
    """Write the simulated district's log of `cases` cases to the embedded log and, if given, to Kafka."""
    count = asyncio.run(publish_to_bus(generate(cases=cases, seed=99), EmbeddedBus(log_path), topic))
    if kafka:
        asyncio.run(publish_to_bus(generate(cases=cases, seed=99), KafkaBus(kafka, client_id="bench"), topic))
    return count


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
        return sorted(p["partition"] for p in description["partitions"])
    finally:
        await admin.close()


async def raw_kafka(bootstrap: str, topic: str, decode: bool) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed", fetch_max_bytes=64 * 1024 * 1024,
                                max_partition_fetch_bytes=16 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        count, started = 0, time.perf_counter()
        while any([await consumer.position(tp) < end[tp] for tp in partitions]):
            batches = await consumer.getmany(timeout_ms=1000, max_records=10000)
            for messages in batches.values():
                for m in messages:
                    if decode:
                        decode_event(dict(m.headers), m.value)
                count += sum(1 for _ in messages)
        return count, time.perf_counter() - started
    finally:
        await consumer.stop()


async def raw_embedded(path: Path, topic: str, decode: bool) -> tuple[int, float]:
    """The embedded log read as a replay reads it (one SELECT per thousand records): the ceiling."""
    source = EmbeddedSource(path, topic)
    await source.total()
    count, started = 0, time.perf_counter()
    async for rows in source.row_batches():
        if decode:
            for offset, value, headers in rows:
                from_stored_record(offset, headers, value)
        count += len(rows)
    return count, time.perf_counter() - started


async def subscription_embedded(path: Path, topic: str, expected: int) -> tuple[int, float]:
    """The embedded log read through the bus port, as the services' consumers read it."""
    subscription = EmbeddedBus(path).subscription(group=f"bench-{time.time_ns()}", topics=[topic])
    await subscription.start()
    try:
        count, started = 0, time.perf_counter()
        while count < expected:
            records = await subscription.poll(timeout=1.0, max_records=10000)
            if not records:
                break
            count += len(records)
        return count, time.perf_counter() - started
    finally:
        await subscription.stop()


def run_child(module: str, args: list[str]) -> tuple[str, float]:
    """Run a module in a child Python; return (its standard output, its own peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile(prefix="jiesu-peak-") as peak:
        done = subprocess.run([sys.executable, "-m", "jiesu_simulator.bench.peak", peak.name, module, *args],
                              stdout=subprocess.PIPE, text=True, check=True)
        return done.stdout, int(Path(peak.name).read_text()) / 1024


def timeline_rebuild(source_args: list[str]) -> tuple[dict, float]:
    """Audit's fold over the whole log, streamed; returns (what the child reported, its peak RSS MiB)."""
    output, peak = run_child("jiesu_simulator.bench.rebuild", source_args)
    return json.loads(output), peak


def export_in_child(source_args: list[str], out: Path, formats: str) -> tuple[float, float]:
    """Run audit's replay command in a child; return (seconds, the child's peak RSS in MiB)."""
    kind, where, topic = source_args
    flag = {"embedded": "--embedded", "kafka": "--kafka"}[kind]
    started = time.perf_counter()
    _, peak = run_child("jiesu_audit", ["replay", flag, where, "--topic", topic, "--out", str(out),
                                        "--formats", formats, "--no-progress"])
    return time.perf_counter() - started, peak
