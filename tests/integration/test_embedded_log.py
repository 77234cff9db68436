"""What the embedded log promises beyond the bus contract: several processes on one machine share it."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from jiesu_shared.bus.embedded import EmbeddedBus, EmbeddedSubscription

from tests.contract.test_bus_contract import collect, publish, records

APPENDER = """
import asyncio, sys
from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.port import OutgoingRecord

async def main(path, name):
    publisher = EmbeddedBus(path).publisher()
    await publisher.start()
    for batch in range(20):
        await publisher.publish([OutgoingRecord("shared", name.encode(), f"{name}-{batch * 10 + i}".encode())
                                 for i in range(10)])
    await publisher.stop()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


OPENER = """
import sqlite3, sys, time
from jiesu_shared.sqlite_wal import enter_wal

conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("CREATE TABLE IF NOT EXISTS t (x)")  # each holds the fresh file in rollback mode, as at first start
while time.time() < float(sys.argv[2]):
    pass
enter_wal(conn)
"""


def test_processes_opening_a_fresh_file_at_the_same_instant_all_start(tmp_path: Path) -> None:
    # Two of them switching a fresh file to WAL at once used to fail one with "database is locked".
    for round_ in range(3):
        path = tmp_path / f"log-{round_}.sqlite3"
        at = time.time() + 1.0
        openers = [subprocess.Popen([sys.executable, "-c", OPENER, str(path), str(at)], stderr=subprocess.PIPE)
                   for _ in range(4)]
        outcomes = [(o.wait(timeout=60), o.stderr.read().decode()) for o in openers]
        assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_processes_appending_at_once_lose_nothing_and_keep_their_order(tmp_path: Path) -> None:
    log_path = tmp_path / "log.sqlite3"
    writers = [subprocess.Popen([sys.executable, "-c", APPENDER, str(log_path), name]) for name in ("intake", "gateway")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]

    sub = EmbeddedBus(log_path).subscription(group="reader", topics=["shared"])
    await sub.start()
    try:
        got = await collect(sub, 400)
    finally:
        await sub.stop()
    assert [r.offset for r in got] == list(range(400))
    for name in ("intake", "gateway"):
        mine = [r.value.decode() for r in got if r.key == name.encode()]
        assert mine == [f"{name}-{n}" for n in range(200)]


async def test_another_member_of_the_group_takes_over_when_the_first_one_stops(tmp_path: Path) -> None:
    log_path = tmp_path / "log.sqlite3"
    await publish(EmbeddedBus(log_path), records("t", "case-1", 4))
    first = EmbeddedSubscription(log_path, "dispatch", ["t"], lease_seconds=0.5)
    second = EmbeddedSubscription(log_path, "dispatch", ["t"], lease_seconds=0.5)
    await first.start()
    await second.start()
    try:
        handled = await collect(first, 4)
        await first.commit(handled[1])
        assert await second.poll(timeout=0.3) == []  # the first member holds the group's lease
        await first.stop()  # e.g. the instance is shut down; what it did not commit is redelivered
        taken_over = await collect(second, 2, timeout=10)
    finally:
        await second.stop()
    assert [r.value for r in taken_over] == [b"event-2", b"event-3"]
