"""Dead letters counted where they leave the process: a bus whose publishers count what they append to
the dead-letter topic (the consumer runner and audit's consumer both publish through the kernel's bus)."""
from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

from jiesu_shared.bus.port import AppendsInThread, Bus, OutgoingRecord, Publisher, Subscription


def dead_letter_counter(registry: CollectorRegistry) -> Counter:
    return Counter("jiesu_dead_letters", "Records this process sent to the dead-letter topic, by consumer group",
                   ["group"], registry=registry)


class _CountingPublisher:
    def __init__(self, inner: Publisher, topic: str, counter: Counter) -> None:
        self._inner, self._topic, self._counter = inner, topic, counter

    async def start(self) -> None:
        await self._inner.start()

    async def stop(self) -> None:
        await self._inner.stop()

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        await self._inner.publish(records)
        self._count(records)

    def _count(self, records: Sequence[OutgoingRecord]) -> None:
        for record in records:
            if record.topic == self._topic:
                group = dict(record.headers).get("dlq_consumer_group", b"unknown")
                self._counter.labels(group.decode(errors="replace")).inc()


class _CountingPublisherInThread(_CountingPublisher):
    """The same, for a publisher that can append from a worker thread (see `AppendsInThread`)."""

    def publish_blocking(self, records: Sequence[OutgoingRecord]) -> None:
        self._inner.publish_blocking(records)  # type: ignore[attr-defined]
        self._count(records)


class CountingBus:
    """The service's bus, unchanged but for counting dead letters."""

    def __init__(self, inner: Bus, dead_letter_topic: str, counter: Counter) -> None:
        self.inner, self._topic, self._counter = inner, dead_letter_topic, counter

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        await self.inner.ensure_topics(topics)

    def publisher(self) -> Publisher:
        inner = self.inner.publisher()
        counting = _CountingPublisherInThread if isinstance(inner, AppendsInThread) else _CountingPublisher
        return counting(inner, self._topic, self._counter)

    def subscription(self, *, group: str, topics: Sequence[str]) -> Subscription:
        return self.inner.subscription(group=group, topics=topics)

    def __getattr__(self, name: str):  # adapter-specific extras (e.g. the embedded log's path) pass through
        return getattr(self.inner, name)
