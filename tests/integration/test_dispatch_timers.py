"""SLA timers on SQLite and a real PostgreSQL: each warning and breach exactly once, with two instances
firing at the same moment and after a restart; the clock is injected so hours pass in no time."""
from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.tables import StoredEvent
from sqlmodel import select

from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.coordination import message_bus
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.handlers import Dispatcher, case_stream
from jiesu_dispatch.timer_worker import TimerWorker
from tests.support.waiting import eventually_async

START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def instance(database: Database, clock: Clock) -> TimerWorker:
    """One dispatch instance's timer worker (a restart is a new instance on the same database)."""
    settings = DispatchSettings()
    dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic="t"), routing=settings.routing_table(),
                            sla=settings.sla_policy(), clock=clock)
    return TimerWorker(database=database, dispatcher=dispatcher, bus=message_bus(database, dispatcher))


def receive(worker: TimerWorker, case_id: str) -> None:
    fact = CaseReceived(case_id=case_id, channel="hotline", text="供暖不热 no heating", category="heating",
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=START)
    envelope = Envelope(id=str(uuid.uuid4()), source="/jiesu/intake", type="case.received.v1", subject=case_id,
                        time=utc_now(), sequence=1, correlationid=str(uuid.uuid4()), data=fact.model_dump(mode="json"))
    with worker.database.transaction() as session:
        worker.dispatcher.on_fact(session, envelope, fact)


def types(database: Database, case_id: str) -> list[str]:
    with database.transaction() as session:
        rows = session.exec(select(StoredEvent).where(StoredEvent.stream_id == case_stream(case_id))
                            .order_by(StoredEvent.version)).all()
        return [r.type for r in rows]


def fire_together(workers: list[TimerWorker]) -> list[int]:
    results = [0] * len(workers)
    barrier = threading.Barrier(len(workers))

    def run(n: int) -> None:
        barrier.wait()
        results[n] = workers[n].fire_due()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_each_timer_fires_exactly_once_across_instances_and_a_restart(database: Database) -> None:
    clock = Clock()
    first, second = instance(database, clock), instance(database, clock)
    receive(first, "c1")
    assert fire_together([first, second]) == [0, 0]  # nothing due yet

    clock.now = START + timedelta(hours=2, seconds=1)  # past the decision deadline: warning and breach due
    fired = fire_together([first, second])
    assert sum(fired) == 2, fired  # decide warning + decide breach, split between the instances however
    after_decide = types(database, "c1")
    assert after_decide.count("sla.warning.v1") == 1 and after_decide.count("sla.breached.v1") == 1
    assert after_decide[-1] == "case.escalated.v1"  # nobody accepted the lead's offer in time

    restarted = instance(database, clock)  # same database, fresh process state
    assert restarted.fire_due() == 0 and types(database, "c1") == after_decide

    clock.now = START + timedelta(days=8)
    fire_together([restarted, instance(database, clock)])
    final = types(database, "c1")
    breaches = [t for t in final if t == "sla.breached.v1"]
    assert len(breaches) == 3 and final.count("sla.warning.v1") == 3  # decide, respond, resolve: once each
    assert instance(database, clock).fire_due() == 0 and types(database, "c1") == final


async def test_the_worker_sleeps_until_a_timer_is_due_and_a_new_sooner_one_wakes_it(database: Database) -> None:
    """Nothing polls: the worker, told to re-check only hourly, sleeps until the earliest timer it knows of; a case
    received meanwhile (its decision clock 2 s) cuts the sleep short, and its warning and breach fire once due."""
    settings = DispatchSettings()
    dispatcher = Dispatcher(store=EventStore(source="/jiesu/dispatch", topic="t"), routing=settings.routing_table(),
                            sla=SlaPolicy(decide_within=timedelta(seconds=2)))
    worker = TimerWorker(database=database, dispatcher=dispatcher, bus=message_bus(database, dispatcher),
                         recheck_seconds=3600)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(0.2)  # the worker has looked at an empty table and sleeps for the hour
        await asyncio.to_thread(receive, worker, "c1")
        decided = await eventually_async(
            lambda: asyncio.sleep(0, (lambda t: t if "sla.breached.v1" in t else None)(types(database, "c1"))),
            timeout=20, what="the decision clock's warning and breach")
    finally:
        stop.set()
        await running
    assert decided.count("sla.warning.v1") == 1 and decided.count("sla.breached.v1") == 1
