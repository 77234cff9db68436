"""Storage contract: event store, outbox and relay, tracking — on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select

from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import decode_record
from jiesu_shared.store import ConcurrencyError, Database, EventStore, OutboxEntry
from jiesu_shared.store.relay import OutboxRelay
from tests.support.waiting import eventually_async

STORE = EventStore(source="/jiesu/test", topic="test.events")


def received(case_id: str, text: str = "water leak") -> CaseReceived:
    return CaseReceived(case_id=case_id, channel="hotline", text=text, category="property_management",
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=datetime.now(UTC))


class RecordingPublisher:
    """Captures what the relay publishes; can be told to fail, like a broker that is away."""

    def __init__(self) -> None:
        self.published: list[OutgoingRecord] = []
        self.fail = False

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.published.extend(records)


def test_appended_events_load_back_in_order_with_envelope_attributes(database: Database) -> None:
    with database.transaction() as s:
        STORE.append(s, stream_id="case-A", expected_version=0, subject="A",
                     payloads=[received("A", "first"), received("A", "second")])
    with database.transaction() as s:
        loaded = STORE.load(s, "case-A")
    assert [e.data["text"] for e in loaded] == ["first", "second"]
    assert [e.sequence for e in loaded] == [1, 2]
    assert loaded[0].type == "case.received.v1" and loaded[0].subject == "A"
    assert loaded[1].correlationid == loaded[0].id  # a chain started by a command shares its first id


def test_a_second_writer_of_the_same_version_fails(database: Database) -> None:
    with database.transaction() as s:
        STORE.append(s, stream_id="case-B", expected_version=0, subject="B", payloads=[received("B")])
    with pytest.raises(ConcurrencyError), database.transaction() as s:
        STORE.append(s, stream_id="case-B", expected_version=0, subject="B", payloads=[received("B", "late")])
    with database.transaction() as s:
        assert [e.data["text"] for e in STORE.load(s, "case-B")] == ["water leak"]
        assert len(s.exec(select(OutboxEntry)).all()) == 1  # the failed append left nothing behind


def test_a_failed_transaction_leaves_neither_event_nor_outbox_entry(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as s:
        STORE.append(s, stream_id="case-C", expected_version=0, subject="C", payloads=[received("C")])
        raise RuntimeError("the handler failed after appending")
    with database.transaction() as s:
        assert STORE.load(s, "case-C") == []
        assert s.exec(select(OutboxEntry)).all() == []


async def test_relay_publishes_in_order_and_survives_a_restart(database: Database) -> None:
    for n in range(5):
        with database.transaction() as s:
            STORE.append(s, stream_id=f"case-{n}", expected_version=0, subject=str(n),
                         payloads=[received(str(n), f"text {n}")])
    publisher = RecordingPublisher()
    publisher.fail = True
    relay = OutboxRelay(database=database, publisher=publisher, batch_size=2)
    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    assert publisher.published == []

    publisher.fail = False
    restarted = OutboxRelay(database=database, publisher=publisher, batch_size=2)  # a fresh process
    while await restarted.publish_pending():
        pass
    texts = [decode_record(r.headers, r.value).data["text"] for r in publisher.published]
    assert texts == [f"text {n}" for n in range(5)]
    assert {r.topic for r in publisher.published} == {"test.events"}
    with database.transaction() as s:
        assert s.exec(select(OutboxEntry)).all() == []


async def test_relay_run_loop_publishes_what_is_committed_while_running(database: Database) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(database=database, publisher=publisher)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    with database.transaction() as s:
        STORE.append(s, stream_id="case-live", expected_version=0, subject="live", payloads=[received("live")])
    relay.wake_threadsafe()
    await eventually_async(lambda: asyncio.sleep(0, publisher.published), what="the relay to publish")
    stop.set()
    await task
    assert [r.key for r in publisher.published] == [b"live"]


async def test_a_running_relay_removes_what_it_published_without_another_commit(database: Database) -> None:
    """Published entries are removed by the next turn's transaction; on a quiet service that turn comes of itself
    (REMOVE_WITHIN), not at the next commit or the idle look a minute away."""
    publisher = RecordingPublisher()
    relay = OutboxRelay(database=database, publisher=publisher, idle_pause=60)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        with database.transaction() as s:
            STORE.append(s, stream_id="case-once", expected_version=0, subject="once", payloads=[received("once")])
        relay.wake_threadsafe()

        def outbox_empty_after_publishing() -> bool | None:
            if not publisher.published:
                return None
            with database.reading() as s:
                return not s.exec(select(OutboxEntry)).all() or None

        await eventually_async(lambda: asyncio.sleep(0, outbox_empty_after_publishing()), timeout=10,
                               what="the published entry removed")
    finally:
        stop.set()
        await task
    assert [r.key for r in publisher.published] == [b"once"]  # removed, not published again


async def test_relay_backs_off_quietly_while_the_broker_is_away_and_says_when_it_recovers(
        database: Database, caplog: pytest.LogCaptureFixture) -> None:
    from jiesu_shared.backoff import Backoff

    publisher = RecordingPublisher()
    publisher.fail = True
    relay = OutboxRelay(database=database, publisher=publisher)
    relay.backoff = Backoff(first=0.02, cap=0.1)  # short pauses keep the test quick; the shape is the same
    with database.transaction() as s:
        STORE.append(s, stream_id="case-away", expected_version=0, subject="away", payloads=[received("away")])
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="jiesu_shared.store.relay"):
        task = asyncio.create_task(relay.run(stop))
        await eventually_async(lambda: asyncio.sleep(0, relay.backoff.failures >= 10 or None),
                               what="ten failed tries")
        publisher.fail = False
        await eventually_async(lambda: asyncio.sleep(0, publisher.published), what="the relay to publish")
        stop.set()
        await task
    lines = [r for r in caplog.records if r.name == "jiesu_shared.store.relay"]
    failing = [r.getMessage() for r in lines if "could not publish" in r.getMessage()]
    assert 1 <= len(failing) <= 2 and "ConnectionError: broker away" in failing[0]
    assert all(r.exc_info is None for r in lines)  # a reason, not a traceback a try
    (summary,) = [r.getMessage() for r in lines if "publishes again" in r.getMessage()]
    assert "failed tries" in summary and relay.backoff.failures == 0
    assert [r.key for r in publisher.published] == [b"away"]


def _relay_lock_holders(database: Database) -> list[int]:
    with database.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")).scalars())


async def test_on_postgresql_a_relay_whose_lock_session_ends_keeps_running_and_one_relays_at_a_time(
        database: Database) -> None:
    """A database restart (here: the lock's session ended by an operator) must not stop the service: the relay
    that held the lock notices, backs off and queues for the lock again; the other takes it meanwhile."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the relay lock is PostgreSQL's advisory lock; on SQLite one process owns the database")
    from jiesu_shared.backoff import Backoff

    publishers = [RecordingPublisher(), RecordingPublisher()]
    relays = [OutboxRelay(database=database, publisher=p) for p in publishers]
    for relay in relays:
        relay.backoff = Backoff(first=0.05, cap=0.2)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]

    def one_holder() -> int | None:
        holders = _relay_lock_holders(database)
        assert len(holders) <= 1, f"two relays hold the lock: {holders}"
        return holders[0] if holders else None

    first = await eventually_async(lambda: asyncio.to_thread(one_holder), what="one relay to take the lock")
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    await eventually_async(lambda: asyncio.to_thread(lambda: (h := one_holder()) is not None and h != first or None),
                           what="a relay to take the lock again")
    with database.transaction() as s:
        STORE.append(s, stream_id="case-after", expected_version=0, subject="after", payloads=[received("after")])
    for relay in relays:
        relay.wake_threadsafe()
    await eventually_async(lambda: asyncio.sleep(0, publishers[0].published or publishers[1].published),
                           what="the entry published after the lock was lost")
    assert not any(task.done() for task in tasks), "a relay stopped when its lock's session ended"
    stop.set()
    await asyncio.gather(*tasks)
    assert [r.key for p in publishers for r in p.published] == [b"after"]
