"""Embedded log: a durable SQLite file that several processes on one machine append to and consume from.

Each topic is a single partition (so everything in it is totally ordered). A consumer group's position
is stored in the file; one member of a group reads a topic at a time, holding a lease that it renews
while polling, and another member takes over when the lease expires (like a partition reassignment).
A waiting reader is woken by the appending process's doorbell (doorbell.py), not by looking at the file.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from jiesu_shared.bus.doorbell import Doorbell, ring_all
from jiesu_shared.bus.headers import headers_from_text, headers_to_text
from jiesu_shared.bus.port import Backlog, OutgoingRecord, PartitionProgress, Record
from jiesu_shared.sqlite_wal import enter_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL, offset INTEGER NOT NULL, key BLOB, value BLOB,
    headers TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    group_id TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic));
CREATE TABLE IF NOT EXISTS group_leases (
    group_id TEXT NOT NULL, topic TEXT NOT NULL, member_id TEXT NOT NULL, expires_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic));
"""


# At most this many new records are read on the event loop (the live case); more go to a worker thread.
_READ_HERE = 64


def _now_ms() -> int:
    return int(time.time() * 1000)


class _LogFile:
    """One connection to the log file, serialised by a lock and used from worker threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        enter_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=FULL")  # an acknowledged append survives a power cut
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def run(self, fn, *args):
        with self._lock:
            return fn(self._conn, *args)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")  # take the write lock now, so offsets are assigned one writer at a time
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _append(conn: sqlite3.Connection, records: Sequence[OutgoingRecord]) -> None:
    now = _now_ms()
    with _write_transaction(conn):
        for r in records:
            conn.execute(
                "INSERT INTO records (topic, offset, key, value, headers, timestamp_ms) "
                "SELECT ?, COALESCE(MAX(offset) + 1, 0), ?, ?, ?, ? FROM records WHERE topic = ?",
                (r.topic, r.key, r.value, headers_to_text(r.headers), now, r.topic),
            )


class EmbeddedPublisher:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: _LogFile | None = None

    async def start(self) -> None:
        self._file = await asyncio.to_thread(_LogFile, self._path)

    async def stop(self) -> None:
        if self._file:
            await asyncio.to_thread(self._file.close)
            self._file = None

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        assert self._file, "publisher not started"
        await asyncio.to_thread(self.publish_blocking, records)

    def publish_blocking(self, records: Sequence[OutgoingRecord]) -> None:
        assert self._file, "publisher not started"
        self._file.run(_append, records)
        ring_all(self._path)  # committed: wake the readers waiting for it


class EmbeddedSubscription:
    def __init__(self, path: Path, group: str, topics: Sequence[str], lease_seconds: float = 10.0) -> None:
        self._path = path
        self._group = group
        self._topics = list(topics)
        self._member = str(uuid.uuid4())
        self._lease_ms = int(lease_seconds * 1000)
        self._positions: dict[str, int] = {}  # topics whose lease this member holds -> next offset
        self._renewed_ms = 0
        self._file: _LogFile | None = None
        # A second connection, only asked for the file's change counter, on the event loop: while nothing
        # is appended an idle poll costs microseconds instead of a worker-thread hop and a query.
        self._watch: sqlite3.Connection | None = None
        self._quiet_version: int | None = None  # the counter when a fetch last found nothing new
        self._read: dict[str, tuple[float, int]] = {}  # topic -> (when last fetched, its end offset then)
        self._doorbell = Doorbell(path)
        self._behind = False  # the last fetch found a backlog (more than is read on the event loop)

    async def start(self) -> None:
        self._file = await asyncio.to_thread(_LogFile, self._path)
        # A short busy timeout: this runs on the event loop, and a busy file just means "fetch to find out".
        self._watch = sqlite3.connect(self._path, timeout=0.05, isolation_level=None, check_same_thread=False)
        self._doorbell.open()

    async def stop(self) -> None:
        self._doorbell.close()
        if self._file:
            await asyncio.to_thread(self._file.run, self._release)
            await asyncio.to_thread(self._file.close)
            self._file = None
        if self._watch:
            self._watch.close()
            self._watch = None

    async def poll(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        assert self._file, "subscription not started"
        deadline = time.monotonic() + timeout
        while True:
            self._doorbell.clear()  # an append from now on rings again
            if self._nothing_new():
                self._read = {topic: (time.time(), position) for topic, position in self._positions.items()}
            else:
                version = self._data_version()  # read before the fetch: a commit during it changes it
                records = self._fetch_here(max_records)
                if records is None:
                    records = await asyncio.to_thread(self._file.run, self._fetch, max_records)
                self._quiet_version = None if records else version
                if records:
                    return records
            if time.monotonic() >= deadline:
                return []
            # an append rings; the bound lets the leases be renewed while nothing is appended
            await self._doorbell.wait(max(0.0, min(deadline - time.monotonic(), self._lease_ms / 3000)))

    def _data_version(self) -> int | None:
        assert self._watch is not None
        try:
            return self._watch.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None  # unknown: the next poll fetches

    def _nothing_new(self) -> bool:
        """No other connection committed since a fetch found nothing (SQLite's data_version), and the
        leases need no look yet: nothing to fetch."""
        if self._quiet_version is None or _now_ms() - self._renewed_ms >= self._lease_ms // 3:
            return False
        return self._data_version() == self._quiet_version  # None never equals a known version

    async def commit(self, *records: Record) -> None:
        assert self._file, "subscription not started"
        await asyncio.to_thread(self._file.run, self._store_positions, {r.topic: r.offset + 1 for r in records})

    async def rewind(self, record: Record) -> None:
        if record.topic in self._positions:
            self._positions[record.topic] = record.offset
            self._quiet_version = None  # records already in the file are to be read again
            self._read.pop(record.topic, None)

    async def progress(self) -> list[PartitionProgress]:
        return [PartitionProgress(topic, 0, at, end <= self._positions[topic]) for topic, (at, end) in self._read.items()
                if topic in self._positions]

    async def backlog(self) -> Backlog | None:
        if not self._renewed_ms or any(topic not in self._read for topic in self._positions):
            return None  # which topics it holds, or where one ends, not looked at yet
        return Backlog(sum(max(0, self._read[topic][1] - position) for topic, position in self._positions.items()),
                       min((self._read[topic][0] for topic in self._positions), default=time.time()))

    def _fetch_here(self, max_records: int) -> list[Record] | None:
        """The live case, a few new records and no lease to renew, read on the event loop: a worker-thread hop
        cost more than the read. None when it must go to the worker thread (leases due, more records than
        that, or the file busy)."""
        if self._watch is None or self._behind or _now_ms() - self._renewed_ms >= self._lease_ms // 3:
            self._behind = False  # the worker thread's fetch below tells again
            return None
        try:
            rows = self._read_rows(self._watch, min(max_records, _READ_HERE + 1))
        except sqlite3.Error:
            return None
        if sum(len(r) for _, _, r, _ in rows) > _READ_HERE:
            return None
        return self._took(rows, max_records)

    # -- in the worker thread -------------------------------------------------------------------
    def _fetch(self, conn: sqlite3.Connection, max_records: int) -> list[Record]:
        self._renew_leases(conn)
        records = self._took(self._read_rows(conn, max_records), max_records)
        self._behind = len(records) > _READ_HERE  # a backlog: the next fetch goes straight to this thread too
        return records

    def _read_rows(self, conn: sqlite3.Connection, max_records: int) -> list[tuple[str, float, list, int]]:
        """Up to `max_records` rows after each held topic's position: (topic, when read, rows, the topic's end
        offset then) per topic."""
        out: list[tuple[str, float, list, int]] = []
        left = max_records
        for topic, position in self._positions.items():
            fetched_at = time.time()
            rows = conn.execute(
                "SELECT offset, key, value, headers, timestamp_ms FROM records "
                "WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?",
                (topic, position, left),
            ).fetchall()
            if len(rows) < left:  # read to its end
                end = rows[-1][0] + 1 if rows else position
            else:  # cut short: the end asked for (from the primary key, a seek)
                end = conn.execute("SELECT MAX(offset) + 1 FROM records WHERE topic = ?", (topic,)).fetchone()[0]
            out.append((topic, fetched_at, rows, end))
            left -= len(rows)
            if left <= 0:
                break
        return out

    def _took(self, read: list[tuple[str, float, list, int]], max_records: int) -> list[Record]:
        """The records read, each topic's position moved past them (only once all topics were read)."""
        out: list[Record] = []
        for topic, fetched_at, rows, end in read:
            self._read[topic] = (fetched_at, end)
            out.extend(Record(topic, 0, offset, key, value, headers_from_text(headers), ts)
                       for offset, key, value, headers, ts in rows)
            if rows:
                self._positions[topic] = rows[-1][0] + 1
        return out

    def _renew_leases(self, conn: sqlite3.Connection) -> None:
        now = _now_ms()
        if now - self._renewed_ms < self._lease_ms // 3:
            return  # leases looked at recently: spare the file a write
        self._renewed_ms = now
        for topic in self._topics:
            with _write_transaction(conn):
                cur = conn.execute(
                    "INSERT INTO group_leases (group_id, topic, member_id, expires_ms) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (group_id, topic) DO UPDATE SET member_id = excluded.member_id, "
                    "expires_ms = excluded.expires_ms "
                    "WHERE group_leases.member_id = excluded.member_id OR group_leases.expires_ms < ?",
                    (self._group, topic, self._member, now + self._lease_ms, now),
                )
                held = cur.rowcount == 1
            if held and topic not in self._positions:
                row = conn.execute("SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic = ?",
                                   (self._group, topic)).fetchone()
                self._positions[topic] = row[0] if row else 0
            elif not held:
                self._positions.pop(topic, None)

    def _store_positions(self, conn: sqlite3.Connection, next_offsets: dict[str, int]) -> None:
        with _write_transaction(conn):
            conn.executemany(
                "INSERT INTO group_offsets (group_id, topic, next_offset) VALUES (?, ?, ?) "
                "ON CONFLICT (group_id, topic) DO UPDATE SET next_offset = excluded.next_offset",
                [(self._group, topic, next_offset) for topic, next_offset in next_offsets.items()],
            )

    def _release(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM group_leases WHERE group_id = ? AND member_id = ?", (self._group, self._member))


class EmbeddedBus:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Topics exist as soon as something is appended to them; only the file must exist."""
        log = await asyncio.to_thread(_LogFile, self._path)
        await asyncio.to_thread(log.close)

    def publisher(self) -> EmbeddedPublisher:
        return EmbeddedPublisher(self._path)

    def subscription(self, *, group: str, topics: Sequence[str]) -> EmbeddedSubscription:
        return EmbeddedSubscription(self._path, group, topics)
