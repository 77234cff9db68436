"""Recording a webhook attempt's outcome: the delivery and its attempt row, and for an offer the answer dispatch
awaits (`task.notified`, or `task.notification_failed` once the schedule is exhausted or the endpoint is gone).
Called inside the delivery worker's turn, whose one transaction also claims the next due deliveries."""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlmodel import Session

from jiesu_shared.catalogue.gateway import TaskNotificationFailed, TaskNotified
from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.store import ConcurrencyError, EventStore

from jiesu_gateway.adapters.tables import Delivery, DeliveryAttempt, Department, Task
from jiesu_gateway.tasks import append_task_event

log = logging.getLogger("jiesu_gateway.delivery")
failures = QuietLog(log)  # a failed attempt is worth a line, a receiver outage is not worth thousands
ANSWERS_AWAITED = frozenset({"task.offered"})  # the messages whose fate dispatch must learn
_TRIES_ON_A_RACE = 10
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
_LOCK_DELIVERY = select(_DELIVERY).where(_DELIVERY.c.id == bindparam("id")).with_for_update()
_CHANGE_DELIVERY = update(_DELIVERY).where(_DELIVERY.c.id == bindparam("delivery"))
_NEW_ATTEMPT = insert(DeliveryAttempt.__table__)  # type: ignore[arg-type]
_TASKS = Task.__table__  # type: ignore[attr-defined]
_TASK_OF = select(_TASKS.c.task_id, _TASKS.c.case_id, _TASKS.c.offer_event_id, _TASKS.c.correlation_id).where(
    _TASKS.c.task_id == bindparam("task_id"))


@dataclass(frozen=True)
class Finished:
    """An attempt that was made: "ok" | "gone" | "skip" | an error text, and seconds the receiver asked us to wait."""

    delivery_id: int
    outcome: str
    retry_after: float | None


@dataclass(frozen=True)
class Recorder:
    store: EventStore
    schedule: list[float]
    clock: Callable[[], datetime]


def record_all(session: Session, finished: list[Finished], recorder: Recorder) -> None:
    """Record a turn's finished attempts without a savepoint each (they cost ~9 % of the gateway's CPU): when a
    department acted on one of the tasks at the same moment, ConcurrencyError rolls the caller's transaction
    back, and the caller records them again with `record_each_despite_races`."""
    for outcome in finished:
        _record(session, outcome, recorder)


def record_each_despite_races(session: Session, finished: list[Finished], recorder: Recorder) -> None:
    for outcome in finished:
        record_despite_races(session, outcome, recorder)


def record_despite_races(session: Session, finished: Finished, recorder: Recorder) -> None:
    """Record in a savepoint; when the department acted on the task at the same moment (its stream moved),
    record again on the new head."""
    for attempt in range(1, _TRIES_ON_A_RACE + 1):
        try:
            with session.begin_nested():
                return _record(session, finished, recorder)
        except ConcurrencyError:
            if attempt == _TRIES_ON_A_RACE:
                raise


def _record(s: Session, finished: Finished, recorder: Recorder) -> None:
    now, outcome = recorder.clock(), finished.outcome
    connection = s.connection()  # Core rows: the ORM's get and unit of work cost more than these writes
    d = connection.execute(_LOCK_DELIVERY, {"id": finished.delivery_id}).first()
    if d is None or d.status != "pending":
        return
    attempts = d.attempts + 1
    change: dict[str, Any] = {"attempts": attempts}
    if outcome == "skip":
        change["status"] = "skipped"
    elif outcome == "ok":
        change["status"] = "delivered"
        _tell_dispatch(s, d, recorder.store, TaskNotified(
            task_id=d.task_id, case_id=d.case_id, department_id=d.department_id,
            webhook_id=d.webhook_id, attempts=attempts, delivered_at=now))
    elif outcome == "gone" or attempts >= len(recorder.schedule):
        change.update(_give_up(s, d, attempts, outcome, recorder.store))
    else:
        delay = recorder.schedule[attempts] * random.uniform(1.0, 1.1)  # jitter spreads retries
        wait = timedelta(seconds=max(delay, finished.retry_after or 0))
        change.update(last_error=outcome, next_attempt_at=now + wait)
        failures.warning("webhook attempt %d of %s (%s) to department %s failed: %s; next at %s", attempts,
                         d.webhook_id, d.event_type, d.department_id, outcome, change["next_attempt_at"].isoformat())
    connection.execute(_CHANGE_DELIVERY, {"delivery": d.id, **change})
    connection.execute(_NEW_ATTEMPT, {"delivery_id": d.id, "number": attempts, "attempted_at": now,
                                      "outcome": outcome[:500], "next_attempt_at": change.get("next_attempt_at")})


def _give_up(s: Session, d: Row, attempts: int, outcome: str, store: EventStore) -> dict[str, Any]:
    last_error = "HTTP 410 Gone: endpoint disabled" if outcome == "gone" else outcome
    if outcome == "gone":
        department = s.get(Department, d.department_id)
        if department is not None:
            department.webhook_enabled = False  # until an administrator sets a URL again
            s.add(department)
    log.warning("webhook %s to %s failed after %d attempts: %s", d.webhook_id, d.department_id, attempts, last_error)
    _tell_dispatch(s, d, store, TaskNotificationFailed(
        task_id=d.task_id, case_id=d.case_id, department_id=d.department_id,
        webhook_id=d.webhook_id, attempts=attempts, last_error=last_error))
    return {"status": "failed", "last_error": last_error}


def _tell_dispatch(session: Session, delivery: Row, store: EventStore,
                   payload: TaskNotified | TaskNotificationFailed) -> None:
    if delivery.event_type not in ANSWERS_AWAITED:
        return
    task = session.connection().execute(_TASK_OF, {"task_id": delivery.task_id}).first()
    if task is not None:
        append_task_event(session, store, task, payload)
