"""Dispatch decides a deadline only once it has read the log past it, on each real bus: a department's
acceptance that happened in time but was appended while dispatch was down is read before the decision
timer runs after the restart (no false breach); one that happened late still breaches; silence breaches."""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from jiesu_shared.bus.port import Bus, OutgoingRecord
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.consumer import ConsumerRunner
from jiesu_shared.events import Envelope, encode_envelope
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.tables import StoredEvent
from pydantic import BaseModel

from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.coordination import message_bus
from jiesu_dispatch.handlers import Dispatcher, case_stream
from jiesu_dispatch.timer_worker import TimerWorker
from jiesu_dispatch.watermark import Watermarks
from tests.contract.test_bus_contract import publish
from tests.support.waiting import eventually_async

DECIDE = timedelta(seconds=3)


def record(topic: str, case_id: str, payload: BaseModel, kind: str, at: datetime) -> OutgoingRecord:
    envelope = Envelope(id=str(uuid.uuid4()), source="/jiesu/test", type=kind, subject=case_id, time=at, sequence=1,
                        correlationid=case_id, data=payload.model_dump(mode="json"))
    key, headers, value = encode_envelope(envelope)
    return OutgoingRecord(topic, key, value, tuple(headers))


def received(topic: str, case_id: str) -> OutgoingRecord:
    now = datetime.now(UTC)
    fact = CaseReceived(case_id=case_id, channel="hotline", text="供暖不热 no heating", category="heating",
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=now)
    return record(topic, case_id, fact, "case.received.v1", now)


@dataclass
class Instance:
    """One dispatch process: its consumer feeding the watermarks, and its timer worker."""

    runner: ConsumerRunner
    worker: TimerWorker
    stop: asyncio.Event
    tasks: list[asyncio.Task]

    def run(self) -> Instance:
        self.tasks = [asyncio.create_task(self.worker.run(self.stop)), asyncio.create_task(self.runner.run(self.stop))]
        return self

    async def kill(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)


def start(bus: Bus, topic: str, group: str, database: Database) -> Instance:
    settings = DispatchSettings()
    dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic=topic), routing=settings.routing_table(),
                            sla=SlaPolicy(decide_within=DECIDE))
    marks = Watermarks(allowed_lateness=timedelta(milliseconds=500))
    messages = message_bus(database, dispatcher)
    runner = ConsumerRunner(group=group, bus=bus, topic=topic, dead_letter_topic=topic + ".dlq", database=database,
                            handlers=messages.consumed(), on_progress=marks.observe)
    worker = TimerWorker(database=database, dispatcher=dispatcher, watermarks=marks, bus=messages)
    return Instance(runner, worker, asyncio.Event(), [])


def events(database: Database, case_id: str) -> list[StoredEvent]:
    with database.transaction() as session:
        return list(session.exec(select(StoredEvent).where(StoredEvent.stream_id == case_stream(case_id))
                                 .order_by(StoredEvent.version)).all())


def of_type(database: Database, case_id: str, kind: str) -> list[dict]:
    return [json.loads(e.envelope)["data"] for e in events(database, case_id) if e.type == kind]


@pytest.fixture
def dispatch_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path}/dispatch.sqlite3")
    db.create_schema()
    return db


async def test_after_a_restart_dispatch_reads_the_log_before_it_decides(
        bus: Bus, topic: str, unique: str, dispatch_db: Database) -> None:
    on_time, late, silent = (f"{name}-{unique}" for name in ("on-time", "late", "silent"))
    first = start(bus, topic, f"dispatch-{unique}", dispatch_db).run()
    await publish(bus, [received(topic, c) for c in (on_time, late, silent)])
    offers = {}
    for case_id in (on_time, late, silent):
        (offer,) = await eventually_async(lambda c=case_id: asyncio.to_thread(of_type, dispatch_db, c,
                                                                              "task.offered.v1"), what="the offer")
        offers[case_id] = offer
    await first.kill()  # dispatch is down while the departments act

    def accepted(case_id: str, at: datetime) -> OutgoingRecord:
        offer = offers[case_id]
        fact = g.TaskAccepted(task_id=offer["task_id"], case_id=case_id, department_id=offer["department_id"],
                              accepted_at=at)
        return record(topic, case_id, fact, "task.accepted.v1", at)

    deadline = {c: datetime.fromisoformat(offers[c]["decide_by"]) for c in offers}
    await publish(bus, [accepted(on_time, deadline[on_time] - DECIDE / 2)])
    # the late acceptance is appended once its time has come: wait for the log to hold it, never a bare sleep
    await eventually_async(lambda: asyncio.sleep(0, datetime.now(UTC) > deadline[late] + timedelta(seconds=1)),
                           timeout=30, what="the late acceptance's time")
    await publish(bus, [accepted(late, datetime.now(UTC))])

    restarted = start(bus, topic, f"dispatch-{unique}", dispatch_db)
    # Every decision timer is overdue, but the restarted instance has not read the log yet: it decides nothing.
    assert await asyncio.to_thread(restarted.worker.fire_due) == 0
    restarted.run()
    try:
        for case_id in (late, silent):
            await eventually_async(lambda c=case_id: asyncio.to_thread(of_type, dispatch_db, c, "sla.breached.v1"),
                                   timeout=30, what=f"the decision breach of {case_id}")
        # the on-time case's timers are decided too (the warning fired before the crash or not at all)
        await eventually_async(lambda: asyncio.to_thread(decided, dispatch_db, on_time), timeout=30,
                               what="the on-time case's decide timers run")
    finally:
        await restarted.kill()
    assert of_type(dispatch_db, on_time, "sla.breached.v1") == []
    for case_id in (late, silent):
        breaches = of_type(dispatch_db, case_id, "sla.breached.v1")
        assert [b["clock"] for b in breaches] == ["decide"], breaches
    assert len(of_type(dispatch_db, silent, "sla.warning.v1")) == 1


def decided(database: Database, case_id: str) -> bool:
    from jiesu_dispatch.adapters.tables import TimerRow

    with database.transaction() as session:
        rows = session.exec(select(TimerRow).where(TimerRow.case_id == case_id, TimerRow.clock == "decide")).all()
        return bool(rows) and all(r.fired_at is not None for r in rows)
