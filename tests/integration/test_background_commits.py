"""A consumer's offset commits on the embedded log: while busy, many handled batches go in one commit; at the
log's end (idle) or when stopping (flush), what is waiting is committed at once."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from jiesu_shared.bus.embedded import EmbeddedBus, EmbeddedSubscription
from jiesu_shared.commits import BackgroundCommits
from tests.contract.test_bus_contract import collect, publish, records
from tests.support.waiting import eventually_async


def stored_position(log_path: Path, group: str) -> int | None:
    """Where a member of the group that takes over would start."""
    with sqlite3.connect(log_path) as conn:
        row = conn.execute("SELECT next_offset FROM group_offsets WHERE group_id = ?", (group,)).fetchone()
    return row[0] if row else None


async def test_busy_batches_share_a_commit_and_idle_or_stopping_commits_the_rest(tmp_path: Path) -> None:
    log_path = tmp_path / "log.sqlite3"
    await publish(EmbeddedBus(log_path), records("t", "case-1", 30))
    subscription = EmbeddedSubscription(log_path, "dispatch", ["t"])
    await subscription.start()
    try:
        handled = await collect(subscription, 30)
        commits = BackgroundCommits(subscription, every=60)  # no second commit while busy within this test
        commits.handled(handled[:1])  # the first batch's commit goes at once
        await eventually_async(lambda: asyncio.to_thread(stored_position, log_path, "dispatch"), what="a commit")
        for record in handled[1:20]:  # then nineteen batches handled back to back
            commits.handled([record])
            await asyncio.sleep(0.01)
        assert await asyncio.to_thread(stored_position, log_path, "dispatch") == 1  # held back while busy
        commits.idle()  # the consumer is at the log's end: the rest goes now
        await eventually_async(lambda: asyncio.to_thread(lambda: stored_position(log_path, "dispatch") == 20),
                               what="the waiting positions to be committed")
        commits.handled(handled[20:])
        await commits.flush()  # stopping: nothing handled is left uncommitted
        assert await asyncio.to_thread(stored_position, log_path, "dispatch") == 30
    finally:
        await subscription.stop()
