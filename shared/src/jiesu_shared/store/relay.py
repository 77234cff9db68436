"""Outbox relay: publishes committed outbox entries to the bus in order, then removes them.

At-least-once: a crash between publishing and removing republishes those entries after a restart;
consumers drop the duplicates by event id. On PostgreSQL an advisory lock keeps one relay per
database active, so several instances of a service never interleave their publishing.
"""
from __future__ import annotations

import asyncio
import logging
import time
import zlib

from sqlalchemy import Row, bindparam, delete, select, text
from sqlmodel import col

from jiesu_shared.backoff import Backoff
from jiesu_shared.bus.headers import headers_from_text
from jiesu_shared.bus.port import OutgoingRecord, Publisher
from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.store.database import Database
from jiesu_shared.store.tables import OutboxEntry
from jiesu_shared.wakeup import Wakeup

log = logging.getLogger(__name__)
_LOCK_ID = zlib.crc32(b"jiesu.outbox.relay")
_OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
_PENDING = (select(_OUTBOX.c.position, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.value, _OUTBOX.c.headers)
            .order_by(_OUTBOX.c.position).limit(bindparam("limit")))


class OutboxRelay:
    def __init__(self, *, database: Database, publisher: Publisher, batch_size: int = 500,
                 idle_pause: float = 0.05) -> None:
        self._db = database
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_pause = idle_pause
        self._wakeup = Wakeup()
        # capped low: an entry held back while other producers append skews the log's time order (see kafka.py)
        self.backoff = Backoff(first=0.5, cap=2.0)
        self._quiet = QuietLog(log, per_second=0.5, burst=1)
        self._failing_since: float | None = None
        self._failures = 0

    def wake_threadsafe(self) -> None:
        """Tell the relay that something was just committed (callable from any thread)."""
        self._wakeup.send_threadsafe()

    def _pending(self) -> list[Row]:
        # Plain rows, not ORM objects: the relay only copies them onto the bus.
        with self._db.reading() as s:
            return list(s.connection().execute(_PENDING, {"limit": self._batch_size}))

    def _remove(self, positions: list[int]) -> None:
        with self._db.transaction() as s:
            s.exec(delete(OutboxEntry).where(col(OutboxEntry.position).in_(positions)))  # type: ignore[call-overload]

    async def publish_pending(self) -> int:
        self._wakeup.looking()  # commits from now on need a new wake-up; earlier ones are read below
        entries = await asyncio.to_thread(self._pending)
        if not entries:
            return 0
        await self._publisher.publish([
            OutgoingRecord(e.topic, e.key, e.value, headers_from_text(e.headers)) for e in entries
        ])
        await asyncio.to_thread(self._remove, [e.position for e in entries if e.position is not None])
        return len(entries)

    async def run(self, stop: asyncio.Event) -> None:
        self._wakeup.bind()
        async with _single_active_relay(self._db, stop):
            while not stop.is_set():
                try:
                    published = await self.publish_pending()
                except Exception as exc:  # the bus or the database is away: keep the entries, try again later
                    self._failed(exc)
                    await _wait_for(stop, self.backoff.next())
                    continue
                self._recovered()
                if not published:
                    await self._wakeup.wait(stop, self._idle_pause)
            await self._flush_before_stopping()

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


class _single_active_relay:
    """On PostgreSQL, hold a session advisory lock while relaying; elsewhere, nothing to hold."""

    def __init__(self, db: Database, stop: asyncio.Event) -> None:
        self._db = db
        self._stop = stop
        self._conn = None

    async def __aenter__(self) -> None:
        if self._db.engine.dialect.name != "postgresql":
            return
        self._conn = await asyncio.to_thread(self._db.engine.connect)
        while not self._stop.is_set():
            got = await asyncio.to_thread(
                lambda: self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": _LOCK_ID}).scalar())
            await asyncio.to_thread(self._conn.commit)
            if got:
                return
            await _wait_for(self._stop, 1.0)

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            conn = self._conn

            def release() -> None:  # the pool keeps the session open, so unlock explicitly
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
                conn.commit()
                conn.close()

            await asyncio.to_thread(release)


async def _wait_for(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
