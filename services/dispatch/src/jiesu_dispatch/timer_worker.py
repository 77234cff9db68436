"""The SLA timer worker: fires due timers exactly once, even across restarts and several instances,
and only once the log is read past them.

Each timer is fired by a FireTimer command on dispatch's message bus: claimed (`UPDATE ... WHERE fired_at IS
NULL`, rowcount 1) in the same transaction that appends what it produced (coordination.fire_timer). If the
append fails, the claim rolls back with it and the timer fires on the next round; if another instance claimed
it first, this one produces nothing.

A timer is decided only when the partition holding its case is read up to the timer's time (the
watermark): after a restart or a takeover this instance first catches up on the log, and a stopping
event that happened in time but is still on its way is folded in before the verdict.

The worker waits instead of polling: after each round it sleeps until the earliest unfired timer is due. It is
woken sooner when this process commits a timer due before then (TimerAlarm), when the log is read past a due
timer that waited for it, and when its consumer's partitions change (a takeover: the timers of the partitions
taken over are read afresh). Timers another instance stores for partitions this one holds (a coordinator's
command served by the other instance) are seen at the latest `recheck_seconds` later: the bound on how late
such a timer fires, and only one due sooner than that after it was stored.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jiesu_shared.bus.port import PartitionProgress
from jiesu_shared.messagebus import Busy, MessageBus
from jiesu_shared.store import Database

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.handlers import Dispatcher
from jiesu_dispatch.messages import FireTimer
from jiesu_dispatch.watermark import Watermarks

log = logging.getLogger(__name__)
Partition = int | None  # None: a case never seen on the log (see Watermarks.of)


@dataclass(frozen=True)
class Round:
    fired: int  # timers this instance fired
    wait_seconds: float  # until the next look, unless woken sooner


@dataclass
class TimerWorker:
    database: Database
    dispatcher: Dispatcher
    bus: MessageBus  # the service's one message path: a timer fires as a FireTimer command on it
    recheck_seconds: float = 30.0  # the longest sleep: see the module's docstring
    retry_seconds: float = 1.0  # after a failed round, or a case too busy to fire on
    batch: int = 500
    watermarks: Watermarks | None = None  # None: the log counts as read up to the clock (no consumer here)
    _waiting: dict[Partition, datetime] = field(default_factory=dict, init=False)  # due, the log not read past
    _partitions: frozenset[int] | None = field(default=None, init=False)  # the consumer's, as last reported
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        if self.watermarks is not None:
            self.watermarks.listen(self.log_read)

    async def run(self, stop: asyncio.Event) -> None:
        alarm = self.dispatcher.alarm
        alarm.bind()
        while not stop.is_set():
            alarm.looking()
            try:
                wait = (await asyncio.to_thread(self.look)).wait_seconds
            except Exception:  # the database away for a moment: try again shortly
                log.exception("firing SLA timers failed; retrying")
                wait = self.retry_seconds
            await alarm.wait(stop, wait)

    def fire_due(self) -> int:
        """Fire every due timer whose case's partition is read past it; return how many this instance fired."""
        return self.look().fired

    def look(self) -> Round:
        """Fire what is due and read past, note what waits for the log, and plan the next look."""
        now = self.dispatcher.clock()
        with self.database.reading() as session:
            due = ledger.due_timers(session, now, self.batch)
            upcoming = ledger.next_due(session, now)
        fired, busy, waiting = 0, False, dict[Partition, datetime]()
        for timer_id, due_at, partition in due:
            if not self.read_past(partition, due_at):
                waiting.setdefault(partition, due_at)  # earliest first: the log passing it wakes the worker
                continue
            try:
                fired += self.fire_one(timer_id)
            except Busy:
                log.info("case kept moving while firing %s; it fires next round", timer_id)
                busy = True
        with self._lock:
            self._waiting = waiting
        wait = self.recheck_seconds if upcoming is None else (upcoming - now).total_seconds()
        if busy:
            wait = self.retry_seconds
        if fired and len(due) == self.batch:
            wait = 0.0  # more may be due than one batch held
        wait = min(max(wait, 0.0), self.recheck_seconds)
        self.dispatcher.alarm.set_for(now + timedelta(seconds=wait))
        return Round(fired, wait)

    def log_read(self, progress: Sequence[PartitionProgress]) -> None:
        """The consumer reports how far it read (after Watermarks took it in): wake the worker when a timer that
        waited for the log is now read past, or when the partitions held changed (timers taken over)."""
        held = frozenset(p.partition for p in progress)
        with self._lock:
            moved = held != self._partitions
            self._partitions = held
            passed = any(self.read_past(partition, due_at) for partition, due_at in self._waiting.items())
        if moved or passed:
            self.dispatcher.alarm.ring()

    def read_past(self, partition: Partition, moment: datetime) -> bool:
        if self.watermarks is None:
            return True
        mark = self.watermarks.of(partition)
        return mark is not None and mark >= moment

    def fire_one(self, timer_id: str) -> bool:
        return bool(self.bus.handle(FireTimer(timer_id)).body)
