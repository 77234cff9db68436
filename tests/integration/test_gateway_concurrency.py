"""Racing requests on SQLite and a real PostgreSQL: one task, one decision, one event — whether the
racers share an Idempotency-Key (twins get the first answer) or not (the losers get 409 naming the
status the winner left)."""
from __future__ import annotations

import threading
from collections.abc import Callable

from sqlmodel import select

from jiesu_shared.messagebus import IdempotencyKey, MessageBus
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.tables import StoredEvent

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import Accept, InvalidTransition
from jiesu_gateway.handlers import TaskService, command_handlers
from tests.integration.gateway_harness import T0

RACERS = 6


def seeded(database: Database) -> TaskService:
    with database.transaction() as session:
        session.add(Task(task_id="t1", case_id="c1", department_id="housing", role="lead", status="offered",
                         offer="{}", offer_event_id="e1", correlation_id="e1", offered_at=T0, updated_at=T0))
    store = EventStore(source="/jiesu/gateway", topic="cases")
    return TaskService(database, MessageBus(database, commands=command_handlers(store, clock=lambda: T0)))


def race(work: Callable[[int], object]) -> list[object]:
    barrier, results = threading.Barrier(RACERS), [None] * RACERS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # what each racer got is the point of the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def events(database: Database) -> list[str]:
    with database.transaction() as session:
        return [e.type for e in session.exec(select(StoredEvent)).all()]


def test_twins_with_one_idempotency_key_get_the_first_answer_and_one_event(database: Database) -> None:
    service = seeded(database)
    request = IdempotencyKey("department:housing", "key-1", "fingerprint-of-accept")
    results = race(lambda _: service.act(task_id="t1", department_id="housing", command=Accept(),
                                         idempotency=request))
    assert not [r for r in results if isinstance(r, Exception)]  # the task's row lock queues the twins
    assert all(r.status_code == 200 and r.body == results[0].body for r in results)  # type: ignore[union-attr]
    assert events(database) == ["task.accepted.v1"]


def test_racing_accepts_without_a_key_decide_once_and_the_others_get_409(database: Database) -> None:
    service = seeded(database)
    results = race(lambda _: service.act(task_id="t1", department_id="housing", command=Accept()))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and winners[0].body["status"] == "accepted"  # type: ignore[union-attr]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == RACERS - 1
    assert all(isinstance(r, InvalidTransition) and r.status == "accepted" for r in losers), losers
    assert events(database) == ["task.accepted.v1"]


def test_two_gateway_instances_deliver_each_webhook_once(database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    from datetime import UTC, datetime

    from deploy.local_stack import free_port
    from jiesu_gateway.adapters.tables import Delivery, Department
    from jiesu_gateway.delivery import DeliveryWorker
    from jiesu_gateway.signing import new_webhook_secret
    from tests.integration.gateway_spec_receiver import SpecReceiver
    from tests.support.waiting import eventually_async

    receiver = SpecReceiver(port=free_port(), clock=lambda: datetime.now(UTC))
    secret = new_webhook_secret()
    receiver.secrets["housing"] = [secret]
    receiver.up()
    now = datetime.now(UTC)
    with database.transaction() as session:
        session.add(Department(department_id="housing", name="Housing", webhook_url=receiver.url("housing"),
                               webhook_secret=secret, api_key_hash="x" * 64, created_at=now))
        for i in range(20):
            session.add(Task(task_id=f"t{i}", case_id=f"c{i % 5}", department_id="housing", role="lead",
                             status="offered", offer="{}", offer_event_id=f"e{i}", correlation_id=f"e{i}",
                             offered_at=now, updated_at=now))
            session.add(Delivery(webhook_id=f"e{i}", department_id="housing", case_id=f"c{i % 5}", task_id=f"t{i}",
                                 event_type="task.offered", body="{}", next_attempt_at=now))
    workers = [DeliveryWorker(database=database, store=EventStore(source="/jiesu/gateway", topic="cases"),
                              schedule=[0, 5], timeout=5, allow_private=True, idle_pause=0.01) for _ in range(2)]

    async def run_both() -> None:
        stop = asyncio.Event()
        running = [asyncio.create_task(w.run(stop)) for w in workers]

        async def all_delivered() -> bool:
            with database.transaction() as session:
                return all(d.status == "delivered" for d in session.exec(select(Delivery)).all())

        try:
            await eventually_async(all_delivered, timeout=30, what="every delivery")
        finally:
            stop.set()
            await asyncio.gather(*running)

    try:
        asyncio.run(run_both())
    finally:
        receiver.down()
    received = [r.headers["webhook-id"] for r in receiver.received]
    assert sorted(received) == sorted(f"e{i}" for i in range(20))  # each exactly once
    for case in range(5):  # and each case's offers in their order
        assert [w for w in received if int(w[1:]) % 5 == case] == [f"e{i}" for i in range(case, 20, 5)]
    assert events(database).count("task.notified.v1") == 20
