"""Waiting instead of polling: the outbox relay is woken by the commit that filled the outbox, and a reader of
the embedded log by the append (its doorbell), long before their bounded waits would run out."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jiesu_shared.bus.doorbell import doorbells_of
from jiesu_shared.bus.embedded import EmbeddedSubscription
from jiesu_shared.store import Database
from jiesu_shared.store.relay import OutboxRelay
from tests.contract.test_storage_contract import STORE, RecordingPublisher, received
from tests.support.waiting import eventually_async

APPEND_ONE = """
import asyncio, sys
from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.port import OutgoingRecord

async def main(path):
    publisher = EmbeddedBus(path).publisher()
    await publisher.start()
    await publisher.publish([OutgoingRecord("t", b"case-1", b"from another process")])
    await publisher.stop()

asyncio.run(main(sys.argv[1]))
"""


async def test_the_relay_publishes_a_commit_nobody_announced_without_waiting_for_its_next_look(
        database: Database) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(database=database, publisher=publisher, idle_pause=60)  # its own look: a minute away
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        with database.transaction() as s:  # a first entry published proves the relay has looked and now waits
            STORE.append(s, stream_id="case-first", expected_version=0, subject="first", payloads=[received("first")])
        relay.wake_threadsafe()
        await eventually_async(lambda: asyncio.sleep(0, publisher.published), timeout=10,
                               what="the relay's first look")
        publisher.published.clear()
        with database.transaction() as s:  # no wake_threadsafe(): the commit itself wakes the relay
            STORE.append(s, stream_id="case-quiet", expected_version=0, subject="quiet", payloads=[received("quiet")])
        await eventually_async(lambda: asyncio.sleep(0, publisher.published), timeout=10,
                               what="the relay to publish")
    finally:
        stop.set()
        await task
    assert [r.key for r in publisher.published] == [b"quiet"]


async def test_on_postgresql_another_instance_s_commit_wakes_the_relay_holding_the_lock(
        request: pytest.FixtureRequest) -> None:
    """Two instances of a service on one PostgreSQL: the one without the relay lock commits, and the lock
    holder publishes it long before its own next look (a minute away), woken by LISTEN/NOTIFY."""
    url = request.getfixturevalue("postgres_database_url")
    holder, other = Database(url), Database(url)  # each instance has its own engine and pool
    holder.create_schema()
    publisher = RecordingPublisher()
    relay = OutboxRelay(database=holder, publisher=publisher, idle_pause=60)
    OutboxRelay(database=other, publisher=RecordingPublisher())  # the other instance's relay (never gets the lock)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        with holder.transaction() as s:  # a first entry published proves the relay has looked and now waits
            STORE.append(s, stream_id="case-first", expected_version=0, subject="first", payloads=[received("first")])
        await eventually_async(lambda: asyncio.sleep(0, publisher.published), timeout=10,
                               what="the relay's first look")
        publisher.published.clear()
        with other.transaction() as s:
            STORE.append(s, stream_id="case-elsewhere", expected_version=0, subject="elsewhere",
                         payloads=[received("elsewhere")])
        with other.transaction() as s:  # rolled back: announces nothing and publishes nothing
            STORE.append(s, stream_id="case-undone", expected_version=0, subject="undone", payloads=[received("undone")])
            s.rollback()
        await eventually_async(lambda: asyncio.sleep(0, publisher.published), timeout=10,
                               what="the lock holder to publish the other instance's commit")
    finally:
        stop.set()
        await task
        other.dispose()
        holder.dispose()
    assert [r.key for r in publisher.published] == [b"elsewhere"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="doorbells are named pipes")
async def test_an_embedded_log_reader_waiting_in_poll_gets_another_process_s_append_at_once(tmp_path: Path) -> None:
    log_path = tmp_path / "log.sqlite3"
    # a long lease: the reader's own look to renew it (a third of the lease) is 40 s away
    reader = EmbeddedSubscription(log_path, "dispatch", ["t"], lease_seconds=120)
    await reader.start()
    try:
        assert await reader.poll(timeout=0.2) == []  # holds the lease, found nothing
        waiting = asyncio.create_task(reader.poll(timeout=60))
        appender = await asyncio.create_subprocess_exec(sys.executable, "-c", APPEND_ONE, str(log_path))
        assert await asyncio.wait_for(appender.wait(), 60) == 0
        appended_at = time.monotonic()
        got = await asyncio.wait_for(waiting, 60)
        woken_after = time.monotonic() - appended_at
    finally:
        await reader.stop()
    assert [r.value for r in got] == [b"from another process"]
    assert woken_after < 5, f"the reader slept {woken_after:.1f} s after the append"  # not its 60 s timeout
    assert list(doorbells_of(log_path).iterdir()) == []  # a stopped reader takes its doorbell with it


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="doorbells are named pipes")
async def test_an_embedded_log_doorbell_left_by_a_dead_reader_is_cleared_by_the_next_append(tmp_path: Path) -> None:
    log_path = tmp_path / "log.sqlite3"
    doorbells = doorbells_of(log_path)
    doorbells.mkdir()
    os.mkfifo(doorbells / "reader-that-was-killed")  # nobody holds it open any more
    done = subprocess.run([sys.executable, "-c", APPEND_ONE, str(log_path)], timeout=60, check=False)
    assert done.returncode == 0
    assert list(doorbells.iterdir()) == []
