"""Racing requests on SQLite and a real PostgreSQL: one task, one decision, one event — whether the
racers share an Idempotency-Key (twins get the first answer) or not (the losers get 409)."""
from __future__ import annotations

import threading
from collections.abc import Callable

from sqlmodel import select

from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.idempotency import IdempotencyKeyInFlight
from jiesu_shared.store.tables import StoredEvent

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import Accept, InvalidTransition
from jiesu_gateway.tasks import IdempotentRequest, TaskBusy, TaskService
from tests.integration.gateway_harness import T0

RACERS = 6


def seeded(database: Database) -> TaskService:
    with database.transaction() as session:
        session.add(Task(task_id="t1", case_id="c1", department_id="housing", role="lead", status="offered",
                         offer="{}", offer_event_id="e1", correlation_id="e1", offered_at=T0, updated_at=T0))
    return TaskService(database, EventStore(source="/jiesu/gateway", topic="cases"), clock=lambda: T0)


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
    request = IdempotentRequest("key-1", "fingerprint-of-accept")
    results = race(lambda _: service.act(task_id="t1", department_id="housing", command=Accept(),
                                         idempotency=request))
    answers = [r for r in results if not isinstance(r, Exception)]
    assert answers and all(a.status_code == 200 and a.body == answers[0].body for a in answers)  # type: ignore[union-attr]
    assert all(isinstance(r, IdempotencyKeyInFlight | TaskBusy) for r in results if isinstance(r, Exception))
    assert events(database) == ["task.accepted.v1"]


def test_racing_accepts_without_a_key_decide_once_and_the_others_get_409(database: Database) -> None:
    service = seeded(database)
    results = race(lambda _: service.act(task_id="t1", department_id="housing", command=Accept()))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and winners[0].body["status"] == "accepted"  # type: ignore[union-attr]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == RACERS - 1
    assert all(isinstance(r, InvalidTransition) and r.status == "accepted" or isinstance(r, TaskBusy) for r in losers)
    assert events(database) == ["task.accepted.v1"]
