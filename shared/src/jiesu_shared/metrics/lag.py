"""Consumer lag per partition, measured the way an operator's exporter does: the log's end offset minus
the group's committed offset, for every consumer group of this service (`<prefix>.<service>.*`). Asked
of the log when scraped, so a scrape tells how far behind the groups are now."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    end_offset: int
    committed: int  # the next offset the group will read; 0 before its first commit

    @property
    def lag(self) -> int:
        return max(0, self.end_offset - self.committed)


class KafkaLag:
    """Committed offsets through the admin client, end offsets through a group-less consumer; both made
    on first use on the service's event loop and closed with it."""

    def __init__(self, bootstrap_servers: str, group_prefix: str, topics: Sequence[str]) -> None:
        self._bootstrap, self._prefix, self._topics = bootstrap_servers, group_prefix, list(topics)
        self._admin = None
        self._consumer = None

    async def _clients(self):
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="jiesu-lag")
            await admin.start()
            self._admin = admin
        if self._consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, client_id="jiesu-lag",
                                        enable_auto_commit=False, isolation_level="read_committed")
            await consumer.start()
            self._consumer = consumer
        return self._admin, self._consumer

    async def measure(self) -> list[PartitionLag]:
        from aiokafka import TopicPartition

        admin, consumer = await self._clients()
        groups = [g for g, _kind in await admin.list_consumer_groups() if g.startswith(self._prefix)]
        committed: dict[str, dict] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
        described = await admin.describe_topics(self._topics)
        partitions = [TopicPartition(t["topic"], p["partition"]) for t in described if not t.get("error_code")
                      for p in t["partitions"]]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return [PartitionLag(group, tp.topic, tp.partition, end, max(0, committed[group].get((tp.topic, tp.partition), 0)))
                for group in groups for tp, end in sorted(ends.items())]

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._consumer = None


class EmbeddedLag:
    """The embedded log keeps each group's next offset in the file itself; one partition per topic."""

    def __init__(self, path: str | Path, group_prefix: str, topics: Sequence[str]) -> None:
        self._path, self._prefix, self._topics = Path(path), group_prefix, list(topics)

    def _read(self) -> list[PartitionLag]:
        if not self._path.exists():
            return []
        conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=5)
        try:
            result = []
            for topic in self._topics:
                (end,) = conn.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?",
                                      (topic,)).fetchone()
                for group, next_offset in conn.execute(
                        "SELECT group_id, next_offset FROM group_offsets WHERE topic = ? AND substr(group_id, 1, ?) = ?",
                        (topic, len(self._prefix), self._prefix)):
                    result.append(PartitionLag(group, topic, 0, end, next_offset))
            return result
        finally:
            conn.close()

    async def measure(self) -> list[PartitionLag]:
        return await asyncio.to_thread(self._read)

    async def close(self) -> None:
        pass
