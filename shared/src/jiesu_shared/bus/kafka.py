"""Kafka adapter (aiokafka): idempotent acks=all producer, read_committed group consumers, manual commits."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from jiesu_shared.bus.broker_away import quiet_while_away
from jiesu_shared.bus.port import Backlog, OutgoingRecord, PartitionProgress, Record

# aiokafka retries a failed connect or request after this pause, with no growth or jitter of its own;
# 100 ms (its default) makes a storm of retries and log lines while the broker is away. While it is away,
# broker_away grows consumers' pause (exponential, full jitter, capped at 10 s) and resets it when it answers.
RETRY_BACKOFF_MS = 500
# aiokafka asks the broker for a partition again only once the records it fetched were taken, so a poll returns
# what was fetched before the last batch was handled, and what arrived meanwhile waits a whole further turn (the
# consumer hops were ~45 ms on Kafka against ~10 on the embedded log at 25 cases/s). Taking the records a poll
# returns starts that fetch; waiting one local round trip for it takes those records along (a probe with 15 ms of
# handling per batch: 41 -> 30 ms p50 from produce to poll).
TOP_UP_MS = 3


class KafkaPublisher:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the producer is made here, not in __init__
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,  # no duplicates or reordering from producer retries
            acks="all",
            linger_ms=2,
            retry_backoff_ms=RETRY_BACKOFF_MS,
        )
        self._away = quiet_while_away()
        await self._producer.start()
        # no growing back-off for producers: an event held back while others are appended skews the log's
        # time order, and dispatch's watermark would pass an on-time response (false breaches in the fault suite)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        assert self._producer is not None, "publisher not started"
        # Send all, then wait for all: the idempotent producer keeps per-partition order.
        futures = [
            await self._producer.send(r.topic, key=r.key, value=r.value, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*futures)
        self._away.answered()


class _Settled(ConsumerRebalanceListener):
    """Whether the group has given this member its partitions (an empty assignment during a rebalance means
    "not known yet", after it "none")."""

    def __init__(self) -> None:
        self.settled = False

    def on_partitions_revoked(self, revoked) -> None:  # type: ignore[no-untyped-def]
        self.settled = False

    def on_partitions_assigned(self, assigned) -> None:  # type: ignore[no-untyped-def]
        self.settled = True


class KafkaSubscription:
    def __init__(self, bootstrap_servers: str, group: str, topics: Sequence[str], client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._group = group
        self._topics = list(topics)
        self._client_id = client_id
        self._consumer: AIOKafkaConsumer = None  # type: ignore[assignment]  # made in start(), on the loop

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            client_id=self._client_id,
            enable_auto_commit=False,  # commit only after the handler's work is durable
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            retry_backoff_ms=RETRY_BACKOFF_MS,
        )
        self._away = quiet_while_away()
        self._answered_ms = 0
        self._assignment = _Settled()
        self._consumer.subscribe(self._topics, listener=self._assignment)
        await self._consumer.start()
        self._away.retry_with_backoff(self._consumer)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def poll(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        batches = dict(await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_records))
        got = sum(len(messages) for messages in batches.values())
        if 0 < got < max_records:  # what arrived while the last batch was handled: one round trip more
            more = await self._consumer.getmany(timeout_ms=TOP_UP_MS, max_records=max_records - got)
            for tp, messages in more.items():
                batches[tp] = [*batches.get(tp, ()), *messages]  # later offsets of the same partition after
        records = [
            Record(m.topic, m.partition, m.offset, m.key, m.value, tuple(m.headers or ()), m.timestamp)
            for messages in batches.values()
            for m in messages
        ]
        self._note_answers()
        return records

    async def commit(self, *records: Record) -> None:
        await self._consumer.commit({TopicPartition(r.topic, r.partition): r.offset + 1 for r in records})

    async def rewind(self, record: Record) -> None:
        self._consumer.seek(TopicPartition(record.topic, record.partition), record.offset)

    async def progress(self) -> list[PartitionProgress]:
        """From the latest fetch answer per assigned partition: its time and high watermark against our position."""
        out = []
        for tp in self._consumer.assignment():
            fetched_ms, highwater = self._consumer.last_poll_timestamp(tp), self._consumer.highwater(tp)
            if fetched_ms is None or highwater is None:
                continue  # not fetched since it was assigned
            try:
                position = await asyncio.wait_for(self._consumer.position(tp), timeout=0.1)
            except Exception:  # e.g. revoked meanwhile, or its position not yet known
                continue
            out.append(PartitionProgress(tp.topic, tp.partition, fetched_ms / 1000, position >= highwater))
        return out

    async def backlog(self) -> Backlog | None:
        """From each held partition's latest fetch answer: its end (the last stable offset, as a read_committed
        reader can go no further; the high watermark on brokers that do not tell it) against our position."""
        if not self._assignment.settled:
            return None
        held = list(self._consumer.assignment())
        fetched_ms = [self._consumer.last_poll_timestamp(tp) for tp in held]
        ends = [self._end_of(tp) for tp in held]
        if None in fetched_ms or None in ends:
            return None  # a partition not fetched since it was assigned
        try:
            async with asyncio.timeout(0.1):  # at once when the positions are known (no task, unlike wait_for)
                positions = [await self._consumer.position(tp) for tp in held]
        except Exception:  # e.g. revoked meanwhile, or a position not yet known
            return None
        return Backlog(sum(max(0, end - position) for end, position in zip(ends, positions, strict=True)),
                       min(fetched_ms, default=time.time() * 1000) / 1000)

    def _end_of(self, tp: TopicPartition) -> int | None:
        stable = self._consumer.last_stable_offset(tp)
        return stable if stable is not None and stable >= 0 else self._consumer.highwater(tp)

    def _note_answers(self) -> None:
        """A fetch answered since the last look: the broker is back, if it was away."""
        for tp in self._consumer.assignment():
            fetched_ms = self._consumer.last_poll_timestamp(tp)
            if fetched_ms is not None and fetched_ms > self._answered_ms:
                self._answered_ms = fetched_ms
                self._away.answered()


class KafkaBus:
    def __init__(self, bootstrap_servers: str, client_id: str = "jiesu", partitions: int = 3) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._partitions = partitions

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [NewTopic(t, num_partitions=self._partitions, replication_factor=1)
                      for t in topics if t not in existing]
            if wanted:
                try:
                    await admin.create_topics(wanted)
                except TopicAlreadyExistsError:
                    pass  # another service created it first
        finally:
            await admin.close()

    def publisher(self) -> KafkaPublisher:
        return KafkaPublisher(self._bootstrap, self._client_id)

    def subscription(self, *, group: str, topics: Sequence[str]) -> KafkaSubscription:
        return KafkaSubscription(self._bootstrap, group, topics, self._client_id)
