"""Paced turns: under a steady load the outbox relay publishes the commits of one interval in one turn, and intake's
group commit writes the requests of one interval in one transaction (sooner once enough wait); after a quiet spell a
commit or a request goes at once. (The gaps between commits below are the load being simulated, not waits for a condition.)"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from jiesu_intake.group_commit import GroupCommit
from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.store import Database
from jiesu_shared.store.relay import OutboxRelay
from tests.contract.test_storage_contract import STORE, RecordingPublisher, received
from tests.support.waiting import eventually_async

INTERVAL = 2.0  # long beside the gaps below, so that an unpaced turn would plainly come between them
GAP = 0.3  # between two commits of the same interval
QUIET = INTERVAL + 0.5  # a quiet spell: longer than the interval
PROMPT = 1.0  # a turn after a quiet spell comes well within this (an unpaced wait would be INTERVAL)


class TurnRecordingPublisher(RecordingPublisher):
    """Also keeps which records went out together, one list per turn."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[list[bytes]] = []

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        await super().publish(records)
        self.turns.append([r.key for r in records if r.key is not None])


def commit_case(database: Database, case_id: str) -> None:
    with database.transaction() as s:
        STORE.append(s, stream_id=f"case-{case_id}", expected_version=0, subject=case_id, payloads=[received(case_id)])


async def test_the_relay_publishes_the_commits_of_one_interval_in_one_turn_and_after_a_quiet_spell_at_once(
        database: Database) -> None:
    publisher = TurnRecordingPublisher()
    relay = OutboxRelay(database=database, publisher=publisher, turn_interval=INTERVAL)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        commit_case(database, "first")
        await eventually_async(lambda: asyncio.sleep(0, publisher.turns), what="the first turn")
        commit_case(database, "second")  # soon after a turn: waits for the interval to end
        await asyncio.sleep(GAP)
        commit_case(database, "third")
        await eventually_async(lambda: asyncio.sleep(0, len(publisher.turns) >= 2), what="the paced turn")
        await asyncio.sleep(QUIET)
        committed = time.monotonic()
        commit_case(database, "after-quiet")
        await eventually_async(lambda: asyncio.sleep(0, len(publisher.turns) >= 3), what="the turn after the spell")
        took = time.monotonic() - committed
    finally:
        stop.set()
        await task
    assert publisher.turns == [[b"first"], [b"second", b"third"], [b"after-quiet"]]
    assert took < PROMPT


def test_the_group_commit_writes_the_requests_of_one_interval_together_and_after_a_quiet_spell_at_once() -> None:
    batches: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        return list(items)

    writer: GroupCommit[int, int] = GroupCommit(write, name="test", interval=INTERVAL)
    try:
        writer.submit(1).result(timeout=20)
        second = writer.submit(2)  # soon after a batch: waits for the interval to end
        time.sleep(GAP)
        third = writer.submit(3)
        assert (second.result(timeout=20), third.result(timeout=20)) == (2, 3)
        time.sleep(QUIET)
        started = time.monotonic()
        assert writer.submit(4).result(timeout=20) == 4
        took = time.monotonic() - started
    finally:
        writer.stop()
    assert batches == [[1], [2, 3], [4]]
    assert took < PROMPT


def test_the_group_commit_starts_a_batch_before_its_interval_ends_once_enough_requests_wait() -> None:
    batches: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        return list(items)

    writer: GroupCommit[int, int] = GroupCommit(write, name="test", interval=INTERVAL, enough=3)
    try:
        writer.submit(1).result(timeout=20)
        started = time.monotonic()
        waiting = [writer.submit(n) for n in (2, 3)]  # fewer than enough, soon after a batch: they wait
        time.sleep(GAP)
        waiting.append(writer.submit(4))  # the third: the batch starts now, not at the interval's end
        assert [future.result(timeout=20) for future in waiting] == [2, 3, 4]
        took = time.monotonic() - started
    finally:
        writer.stop()
    assert batches == [[1], [2, 3, 4]]
    assert GAP <= took < PROMPT
