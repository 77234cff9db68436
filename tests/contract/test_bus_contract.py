"""The bus port's contract: every adapter (embedded log, Kafka) must pass all of it."""
from __future__ import annotations

import time

from jiesu_shared.bus.port import Backlog, Bus, OutgoingRecord, Record, Subscription
from tests.support.waiting import eventually_async


def records(topic: str, case: str, count: int, start: int = 0) -> list[OutgoingRecord]:
    return [OutgoingRecord(topic, case.encode(), f"event-{i}".encode(), (("ce_id", f"id-{i}".encode()),))
            for i in range(start, start + count)]


async def collect(sub: Subscription, count: int, timeout: float = 30.0) -> list[Record]:
    got: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got.extend(await sub.poll(timeout=0.5))
    return got


async def open_subscription(bus: Bus, group: str, topic: str) -> Subscription:
    sub = bus.subscription(group=group, topics=[topic])
    await sub.start()
    return sub


async def publish(bus: Bus, batch: list[OutgoingRecord]) -> None:
    publisher = bus.publisher()
    await publisher.start()
    try:
        await publisher.publish(batch)
    finally:
        await publisher.stop()


async def test_records_of_one_key_arrive_in_order_with_headers_intact(bus: Bus, topic: str, unique: str) -> None:
    await publish(bus, records(topic, "case-1", 20))
    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        got = await collect(sub, 20)
    finally:
        await sub.stop()
    assert [r.value for r in got] == [f"event-{i}".encode() for i in range(20)]
    assert {r.key for r in got} == {b"case-1"}
    assert got[7].header("ce_id") == b"id-7"
    assert [r.offset for r in got] == sorted(r.offset for r in got)


async def test_a_group_resumes_after_its_committed_position(bus: Bus, topic: str, unique: str) -> None:
    await publish(bus, records(topic, "case-1", 10))
    sub = await open_subscription(bus, f"g-{unique}", topic)
    first = await collect(sub, 10)
    await sub.commit(first[5])  # handled up to and including event-5
    await sub.stop()

    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        again = await collect(sub, 4)
    finally:
        await sub.stop()
    assert [r.value for r in again] == [f"event-{i}".encode() for i in range(6, 10)]


async def test_uncommitted_records_are_delivered_again_to_the_next_member(bus: Bus, topic: str, unique: str) -> None:
    await publish(bus, records(topic, "case-1", 3))
    sub = await open_subscription(bus, f"g-{unique}", topic)
    assert len(await collect(sub, 3)) == 3
    await sub.stop()  # crashed before committing anything

    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        again = await collect(sub, 3)
    finally:
        await sub.stop()
    assert [r.value for r in again] == [b"event-0", b"event-1", b"event-2"]


async def test_each_group_sees_every_record(bus: Bus, topic: str, unique: str) -> None:
    await publish(bus, records(topic, "case-1", 5) + records(topic, "case-2", 5, start=5))
    subs = [await open_subscription(bus, f"{name}-{unique}", topic) for name in ("dispatch", "audit")]
    try:
        seen = [sorted(r.value for r in await collect(sub, 10)) for sub in subs]
    finally:
        for sub in subs:
            await sub.stop()
    assert seen[0] == seen[1] == sorted(f"event-{i}".encode() for i in range(10))


async def test_rewind_delivers_the_record_again(bus: Bus, topic: str, unique: str) -> None:
    await publish(bus, records(topic, "case-1", 3))
    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        got = await collect(sub, 3)
        await sub.rewind(got[1])
        again = await collect(sub, 2)
    finally:
        await sub.stop()
    assert [r.value for r in again] == [b"event-1", b"event-2"]


async def test_records_published_while_subscribed_arrive(bus: Bus, topic: str, unique: str) -> None:
    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        assert await sub.poll(timeout=0.5) == []
        await publish(bus, records(topic, "case-9", 2))
        got = await collect(sub, 2)
    finally:
        await sub.stop()
    assert [r.value for r in got] == [b"event-0", b"event-1"]


async def test_the_backlog_is_what_the_log_has_beyond_what_was_handed(bus: Bus, topic: str, unique: str) -> None:
    """A poll that returns less than the log holds (a partial fetch, a cap) leaves the member behind by the rest:
    the backlog says so from the log's reported end, not from the size of the poll."""
    await publish(bus, records(topic, "case-1", 30))
    sub = await open_subscription(bus, f"g-{unique}", topic)
    try:
        got: list[Record] = []
        while not got:
            got = await sub.poll(timeout=0.5, max_records=10)
        assert 0 < len(got) <= 10

        async def known() -> Backlog | None:
            return await sub.backlog()
        behind = await eventually_async(known, what="the log's end of every held partition")
        assert behind.records == 30 - len(got)
        assert behind.reported_at <= time.time()
        got += await collect(sub, 30 - len(got))

        async def at_end() -> bool:
            backlog = await sub.backlog()
            return backlog is not None and backlog.records == 0
        await eventually_async(at_end, what="a backlog of 0 once every record was handed")
    finally:
        await sub.stop()
    assert len(got) == 30
