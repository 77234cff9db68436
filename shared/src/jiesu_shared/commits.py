"""A consumer's offset commits, off its critical path and few: the next poll does not wait for the log to answer
the commit of the last batch (on Kafka a round trip to the group coordinator, on the embedded log a write and an
fsync of the shared log file), and under load the positions of many batches go in one commit.

One commit is in flight at a time. While busy, a commit goes at most every `every` seconds; the positions reached
meanwhile go in the next one, a later position per partition replacing an earlier. When the consumer is at the
log's end (`idle`) or stopping (`flush`), what is waiting goes at once. A commit is only ever asked for records
whose handling is durable, and handling is idempotent (`processed_events`), so a commit that is late or lost (a
crash, a rebalance) means the last moments' events are redelivered and skipped, never a gap.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from jiesu_shared.bus.port import Record, Subscription

log = logging.getLogger(__name__)
# Under load a turn takes a few ms; committing after each was one write per turn on the shared log.
COMMIT_EVERY_SECONDS = 0.5


class BackgroundCommits:
    def __init__(self, subscription: Subscription, every: float = COMMIT_EVERY_SECONDS) -> None:
        self._subscription = subscription
        self._every = every
        self._waiting: dict[tuple[str, int], Record] = {}  # (topic, partition) -> last handled record
        self._sending: asyncio.Task | None = None
        self._now = asyncio.Event()  # commit what is waiting without waiting for `every`
        self._sent_at = float("-inf")

    def handled(self, records: Iterable[Record]) -> None:
        """These records' handling is durable: commit past them soon."""
        for record in records:
            self._waiting[(record.topic, record.partition)] = record
        self._start()

    def idle(self) -> None:
        """The consumer found nothing new: commit what is waiting now."""
        if self._waiting:
            self._now.set()
            self._start()

    async def flush(self) -> None:
        """Until every position handed over so far is committed (or its commit failed): before stopping."""
        self._now.set()
        while self._sending is not None and not self._sending.done():
            await asyncio.shield(self._sending)

    def _start(self) -> None:
        if self._waiting and (self._sending is None or self._sending.done()):
            self._sending = asyncio.create_task(self._send())

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            pause = self._sent_at + self._every - loop.time()
            if pause > 0 and not self._now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._now.wait(), pause)
            self._now.clear()
            records, self._waiting = list(self._waiting.values()), {}
            self._sent_at = loop.time()
            try:
                await self._subscription.commit(*records)
            except Exception:  # e.g. a rebalance took a partition: redelivery is harmless
                log.warning("could not commit %s; those events may be redelivered",
                            ", ".join(f"{r.topic}/{r.partition}@{r.offset}" for r in records))
