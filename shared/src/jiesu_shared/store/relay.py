"""Outbox relay: publishes committed outbox entries to the bus in order, then removes them.

At-least-once: a crash between publishing and removing republishes those entries after a restart;
consumers drop the duplicates by event id. What a turn published is removed in the next turn's transaction,
with the read of what is pending then (one transaction a turn, not two): within REMOVE_WITHIN when nothing
else is committed meanwhile. On PostgreSQL an advisory lock keeps one relay per
database active, so several instances of a service never interleave their publishing.

Woken by the commit: any connection of this process that inserted into the outbox wakes the relay when it
goes back to the pool (its transaction over); on PostgreSQL another instance's commit wakes it through
LISTEN/NOTIFY (`outbox_notify`). It still looks once a second for what it was not told of (a wake-up lost to
a failure).

Paced: after a turn that published, the next one waits until `turn_interval` has passed since it, so under load
the commits of one interval go out in one turn (one read, one append, one wake-up of every reader of the log,
whose own turns then gather as many) instead of one turn each; a commit after a quiet spell goes at once.
"""
from __future__ import annotations

import asyncio
import logging
import time
import zlib
from typing import Any

from sqlalchemy import Engine, Row, bindparam, delete, event, select, text

from jiesu_shared.backoff import Backoff
from jiesu_shared.bus.headers import headers_from_text
from jiesu_shared.bus.port import AppendsInThread, OutgoingRecord, Publisher
from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.store.database import Database
from jiesu_shared.store.outbox_notify import OutboxListener, notify_on_outbox_commits
from jiesu_shared.store.tables import OutboxEntry
from jiesu_shared.wakeup import Wakeup

log = logging.getLogger(__name__)
_LOCK_ID = zlib.crc32(b"jiesu.outbox.relay")
_OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
_WROTE_OUTBOX = "jiesu.wrote_outbox"  # in a pooled connection's info while its transaction has outbox rows
_PENDING = (select(_OUTBOX.c.position, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.value, _OUTBOX.c.headers)
            .order_by(_OUTBOX.c.position).limit(bindparam("limit")))
_REMOVE = delete(_OUTBOX).where(_OUTBOX.c.position.in_(bindparam("positions", expanding=True)))
# How long published entries wait for a turn to remove them, at the most: under load the next commit's turn comes
# sooner and removes them with its read; on a quiet service a turn of its own does.
REMOVE_WITHIN = 0.05


class OutboxRelay:
    def __init__(self, *, database: Database, publisher: Publisher, batch_size: int = 500,
                 idle_pause: float = 1.0, turn_interval: float = 0.0) -> None:
        self._db = database
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_pause = idle_pause
        self._turn_interval = turn_interval
        self._wakeup = Wakeup()
        _wake_after_outbox_commits(database.engine, self.wake_threadsafe)
        if database.engine.dialect.name == "postgresql":
            notify_on_outbox_commits(database.engine, _OUTBOX)
        # capped low: an entry held back while other producers append skews the log's time order (see kafka.py)
        self.backoff = Backoff(first=0.5, cap=2.0)
        self._quiet = QuietLog(log, per_second=0.5, burst=1)
        self._failing_since: float | None = None
        self._failures = 0
        self._published: list[int] = []  # positions published and not yet removed

    def wake_threadsafe(self) -> None:
        """Tell the relay that something was just committed (callable from any thread)."""
        self._wakeup.send_threadsafe()

    # Plain rows and statements built once, no Session: the relay turns once per commit that wrote events, and an
    # ORM read and delete cost ~0.8 ms more CPU than the rows do.
    def _take_pending(self) -> list[Row]:
        """What is pending now, oldest first; in the same transaction, what the last turn published is removed."""
        if not self._published:
            with self._db.reading_rows() as connection:
                return list(connection.execute(_PENDING, {"limit": self._batch_size}))
        with self._db.writing() as connection:
            connection.execute(_REMOVE, {"positions": self._published})
            pending = list(connection.execute(_PENDING, {"limit": self._batch_size}))
        self._published = []  # removed: committed
        return pending

    async def publish_pending(self) -> int:
        """Publish what is pending (removing what the last call published); how many were published. Called until
        it returns 0, it leaves the outbox empty."""
        self._wakeup.looking()  # commits from now on need a new wake-up; earlier ones are read below
        if isinstance(self._publisher, AppendsInThread):
            return await asyncio.to_thread(self._publish_pending_here, self._publisher)
        entries = await asyncio.to_thread(self._take_pending)
        if entries:
            await self._publisher.publish(_outgoing(entries))
            self._published = [e.position for e in entries]
        return len(entries)

    def _publish_pending_here(self, publisher: AppendsInThread) -> int:
        """Read (and remove) and append in this worker thread: one hop from the event loop."""
        entries = self._take_pending()
        if entries:
            publisher.publish_blocking(_outgoing(entries))
            self._published = [e.position for e in entries]
        return len(entries)

    async def run(self, stop: asyncio.Event) -> None:
        self._wakeup.bind()
        listener = OutboxListener(self._db.engine, self.wake_threadsafe) \
            if self._db.engine.dialect.name == "postgresql" else None
        if listener is not None:
            listener.start()
        try:
            await self._run(stop)
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)

    async def _run(self, stop: asyncio.Event) -> None:
        lock = _RelayLock(self._db)
        while not stop.is_set():
            try:
                if await lock.acquire(stop):
                    await self._relay(stop, lock)
            except Exception as exc:  # the bus or the database is away: keep the entries, try again later
                self._failed(exc)
                await lock.release()  # the database may have ended its session: take the lock afresh
                await _wait_for(stop, self.backoff.next())
        if lock.held:
            await self._flush_before_stopping()
        await lock.release()

    async def _relay(self, stop: asyncio.Event, lock: _RelayLock) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            await lock.confirm()
            published = await self.publish_pending()
            self._recovered()
            if published < self._batch_size:  # all there was: a commit since the look has woken us already
                next_turn = loop.time() + self._turn_interval if published else 0.0
                await self._wakeup.wait(stop, REMOVE_WITHIN if self._published else self._idle_pause)
                if (left := next_turn - loop.time()) > 0:  # paced: what is committed meanwhile goes with it
                    await _wait_for(stop, left)

    def _failed(self, exc: Exception) -> None:
        """One short line with the reason, a few a minute at most; no traceback for an absent broker."""
        self._failing_since = self._failing_since or time.monotonic()
        self._failures += 1
        self._quiet.warning("outbox relay could not publish (%s: %s); retrying with back-off",
                            type(exc).__name__, exc)

    def _recovered(self) -> None:
        if self._failing_since is None:
            return
        log.warning("outbox relay publishes again after %.1f s and %d failed tries",
                    time.monotonic() - self._failing_since, self._failures)
        self._failing_since, self._failures = None, 0
        self.backoff.reset()

    async def _flush_before_stopping(self) -> None:
        """Publish what was committed up to the stop, so a graceful shutdown leaves no outbox behind."""
        try:
            while await self.publish_pending():
                pass
        except Exception:
            log.warning("outbox relay stopped with unpublished entries; they go out at the next start")


def _outgoing(entries: list[Row]) -> list[OutgoingRecord]:
    return [OutgoingRecord(e.topic, e.key, e.value, headers_from_text(e.headers)) for e in entries]


def _wake_after_outbox_commits(engine: Engine, wake) -> None:  # type: ignore[no-untyped-def]
    """Call `wake` when a connection that inserted outbox rows is returned to the pool, i.e. after its
    commit (or its rollback: then the relay looks and finds nothing). No writer has to announce its rows."""

    @event.listens_for(engine, "after_execute")
    def _noted(conn, clauseelement, *_):  # type: ignore[no-untyped-def]
        if getattr(clauseelement, "table", None) is _OUTBOX and getattr(clauseelement, "is_insert", False):
            conn.info[_WROTE_OUTBOX] = True

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        if record is not None and record.info.pop(_WROTE_OUTBOX, False):
            wake()


class _RelayLock:
    """On PostgreSQL, a session advisory lock held while relaying, so one instance relays at a time; elsewhere
    (one process per database) always held. Taken afresh after a failure: a restarted database forgets it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Any = None
        self._postgres = db.engine.dialect.name == "postgresql"
        self.held = not self._postgres
        self._confirmed_until = 0.0

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait for the lock until it is ours (True) or the service stops (False); raises if the database is away."""
        while not self.held and not stop.is_set():
            if self._conn is None:
                self._conn = await asyncio.to_thread(self._db.engine.connect)
            self.held = bool(await asyncio.to_thread(self._try_lock))
            if not self.held:
                await _wait_for(stop, 1.0)
        return self.held

    async def confirm(self) -> None:
        """Raise if the lock's session has ended (the database restarted, or an operator ended it): another
        instance may hold the lock by now. Asked at most once a second."""
        if not self._postgres or time.monotonic() < self._confirmed_until:
            return
        await asyncio.to_thread(lambda: self._conn.execute(text("SELECT 1")).scalar())
        self._confirmed_until = time.monotonic() + 1.0

    def _try_lock(self) -> bool:
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": _LOCK_ID}).scalar()
        self._conn.commit()
        return bool(got)

    async def release(self) -> None:
        if not self._postgres or self._conn is None:
            return
        conn, self._conn, self.held = self._conn, None, False

        def unlock() -> None:  # the pool keeps the session open, so unlock explicitly; a dead session has none
            try:
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
                conn.commit()
            except Exception:  # noqa: S110  # the session is gone, and its lock with it
                pass
            finally:
                conn.close()

        await asyncio.to_thread(unlock)


async def _wait_for(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
