"""A consumer's offset commits, off its critical path: the next poll does not wait for the log to answer the
commit of the last batch (on Kafka a round trip to the group coordinator, on the embedded log an fsync).

One commit is in flight at a time; positions reached meanwhile go in the next one, a later position per
partition replacing an earlier. A commit is only ever asked for records whose handling is durable, and
handling is idempotent, so a commit that is lost (a crash, a rebalance) means redelivery, never a gap.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from jiesu_shared.bus.port import Record, Subscription

log = logging.getLogger(__name__)


class BackgroundCommits:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._waiting: dict[tuple[str, int], Record] = {}  # (topic, partition) -> last handled record
        self._sending: asyncio.Task | None = None

    def handled(self, records: Iterable[Record]) -> None:
        """These records' handling is durable: commit past them soon."""
        for record in records:
            self._waiting[(record.topic, record.partition)] = record
        if self._waiting and (self._sending is None or self._sending.done()):
            self._sending = asyncio.create_task(self._send())

    async def flush(self) -> None:
        """Until every position handed over so far is committed (or its commit failed): before stopping."""
        while self._sending is not None and not self._sending.done():
            await asyncio.shield(self._sending)

    async def _send(self) -> None:
        while self._waiting:
            records, self._waiting = list(self._waiting.values()), {}
            try:
                await self._subscription.commit(*records)
            except Exception:  # e.g. a rebalance took a partition: redelivery is harmless
                log.warning("could not commit %s; those events may be redelivered",
                            ", ".join(f"{r.topic}/{r.partition}@{r.offset}" for r in records))
