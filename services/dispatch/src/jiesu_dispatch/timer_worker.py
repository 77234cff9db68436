"""The SLA timer worker: fires due timers exactly once, even across restarts and several instances,
and only once the log is read past them.

Each timer is claimed (`UPDATE ... WHERE fired_at IS NULL`, rowcount 1) in the same transaction
that appends what it produced: if the append fails, the claim rolls back with it and the timer
fires on the next round; if another instance claimed it first, this one produces nothing.

A timer is decided only when the partition holding its case is read up to the timer's time (the
watermark): after a restart or a takeover this instance first catches up on the log, and a stopping
event that happened in time but is still on its way is folded in before the verdict.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.store import Database
from jiesu_shared.store.event_store import Cause, ConcurrencyError

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.domain.sla import TimerSpec
from jiesu_dispatch.domain.timers import fire
from jiesu_dispatch.handlers import Dispatcher, case_stream
from jiesu_dispatch.watermark import Watermarks

log = logging.getLogger(__name__)


@dataclass
class TimerWorker:
    database: Database
    dispatcher: Dispatcher
    poll_seconds: float = 1.0
    batch: int = 500
    watermarks: Watermarks | None = None  # None: the log counts as read up to the clock (no consumer here)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.fire_due)
            except Exception:  # the database away for a moment: try again next round
                log.exception("firing SLA timers failed; retrying")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    def fire_due(self) -> int:
        """Fire every due timer whose case's partition is read past it; return how many this instance fired."""
        with self.database.transaction() as session:
            due = ledger.due_timers(session, self.dispatcher.clock(), self.batch)
        fired = 0
        for timer_id, due_at, partition in due:
            if not self.read_past(partition, due_at):
                continue  # its partition is not read that far yet: decided in a later round
            try:
                fired += self.fire_one(timer_id)
            except ConcurrencyError:
                log.info("case moved on while firing %s; it fires next round", timer_id)
        return fired

    def read_past(self, partition: int | None, moment: datetime) -> bool:
        if self.watermarks is None:
            return True
        mark = self.watermarks.of(partition)
        return mark is not None and mark >= moment

    def fire_one(self, timer_id: str) -> bool:
        with self.database.transaction() as session:
            timer = ledger.claim(session, timer_id, self.dispatcher.clock())
            if timer is None:
                return False  # another instance (or an earlier round) fired it
            events = fire(self.dispatcher.case(session, timer.case_id), timer)
            stream = case_stream(timer.case_id)
            self.dispatcher.commit(session, stream, timer.case_id, events, cause=self._offer_of(session, timer))
            ledger.note_fired(session, timer_id, len(events))
            return True

    def _offer_of(self, session: Session, timer: TimerSpec) -> Cause | None:
        """The offer whose clock ran out is the cause of what the timer produced."""
        offered = TaskOffered.__event_type__  # type: ignore[attr-defined]
        for envelope in self.dispatcher.store.load(session, case_stream(timer.case_id)):
            if envelope.type == offered and envelope.data.get("task_id") == timer.task_id:
                return Cause(id=envelope.id, correlationid=envelope.correlationid, traceparent=envelope.traceparent)
        return None
