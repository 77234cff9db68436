"""Recording webhook attempts' outcomes: each delivery and its attempt row, and for an offer the answer dispatch
awaits (`task.notified`, or `task.notification_failed` once the schedule is exhausted or the endpoint is gone).
Called inside the delivery worker's turn, whose one transaction also claims the next due deliveries.

A turn's outcomes are recorded together, in one statement per table: one read of the deliveries with their tasks
and the heads of the tasks' streams, one update of the deliveries, one insert of the attempts, one append of the
events (each statement costs more in SQLAlchemy than in the database, and a turn under load holds several).
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row, bindparam, insert, select, update
from sqlmodel import Session

from jiesu_shared.catalogue.gateway import TaskNotificationFailed, TaskNotified
from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.messagebus.retry import retrying
from jiesu_shared.store import EventStore
from jiesu_shared.store.event_store import Append, Cause

from jiesu_gateway.adapters.tables import Delivery, DeliveryAttempt, Department, Task
from jiesu_gateway.tasks import stream_head_of, stream_of

log = logging.getLogger("jiesu_gateway.delivery")
failures = QuietLog(log)  # a failed attempt is worth a line, a receiver outage is not worth thousands
ANSWERS_AWAITED = frozenset({"task.offered"})  # the messages whose fate dispatch must learn
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
_TASKS = Task.__table__  # type: ignore[attr-defined]
# The deliveries (locked: on PostgreSQL another instance's renewal waits), with what an event about each needs.
_LOCK_DELIVERIES = (
    select(_DELIVERY.c.id, _DELIVERY.c.status, _DELIVERY.c.attempts, _DELIVERY.c.last_error,
           _DELIVERY.c.next_attempt_at, _DELIVERY.c.webhook_id, _DELIVERY.c.event_type, _DELIVERY.c.department_id,
           _DELIVERY.c.case_id, _DELIVERY.c.task_id, _TASKS.c.task_id.label("task_found"), _TASKS.c.offer_event_id,
           _TASKS.c.correlation_id, stream_head_of(_TASKS.c.task_id).label("head"))
    .select_from(_DELIVERY.outerjoin(_TASKS, _TASKS.c.task_id == _DELIVERY.c.task_id))
    .where(_DELIVERY.c.id.in_(bindparam("ids", expanding=True))).with_for_update(of=_DELIVERY))
_CHANGE_DELIVERIES = update(_DELIVERY).where(_DELIVERY.c.id == bindparam("delivery")).values(
    status=bindparam("new_status"), attempts=bindparam("new_attempts"), last_error=bindparam("new_last_error"),
    next_attempt_at=bindparam("new_next_attempt_at"))
_NEW_ATTEMPTS = insert(DeliveryAttempt.__table__)  # type: ignore[arg-type]
_DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
_DISABLE_WEBHOOK = (update(_DEPARTMENTS).where(_DEPARTMENTS.c.department_id == bindparam("department"))
                    .values(webhook_enabled=False))


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


@dataclass
class _Writes:
    """What a turn's outcomes change, gathered to be written one statement per table."""

    deliveries: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    events: list[Append] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)  # departments whose endpoint answered 410


def record_all(session: Session, finished: list[Finished], recorder: Recorder) -> None:
    """Record a turn's finished attempts together, without a savepoint each (they cost ~9 % of the gateway's CPU):
    when a department acted on one of the tasks at the same moment, ConcurrencyError rolls the caller's
    transaction back, and the caller records them again with `record_each_despite_races`."""
    if not finished:
        return
    connection = session.connection()  # Core rows: the ORM's get and unit of work cost more than these writes
    rows = {row.id: row for row in connection.execute(_LOCK_DELIVERIES, {"ids": [f.delivery_id for f in finished]})}
    writes, now = _Writes(), recorder.clock()
    for outcome in finished:
        d = rows.get(outcome.delivery_id)
        if d is not None and d.status == "pending":
            _record(writes, d, outcome, recorder, now)
    if writes.gone:
        connection.execute(_DISABLE_WEBHOOK, writes.gone)  # until an administrator sets a URL again
    if writes.deliveries:
        connection.execute(_CHANGE_DELIVERIES, writes.deliveries)
        connection.execute(_NEW_ATTEMPTS, writes.attempts)
    recorder.store.append_many(session, writes.events)  # raises ConcurrencyError if a task's stream moved


def record_each_despite_races(session: Session, finished: list[Finished], recorder: Recorder) -> None:
    for outcome in finished:
        record_despite_races(session, outcome, recorder)


def record_despite_races(session: Session, finished: Finished, recorder: Recorder) -> None:
    """Record in a savepoint; when the department acted on the task at the same moment (its stream moved),
    record again on the new head, as the one retry policy says (raises Busy when it is spent)."""
    def once() -> None:
        with session.begin_nested():
            record_all(session, [finished], recorder)
    retrying(once)


def _record(writes: _Writes, d: Row, finished: Finished, recorder: Recorder, now: datetime) -> None:
    outcome, attempts = finished.outcome, d.attempts + 1
    change: dict[str, Any] = {"delivery": d.id, "new_status": d.status, "new_attempts": attempts,
                              "new_last_error": d.last_error, "new_next_attempt_at": d.next_attempt_at}
    if outcome == "skip":
        change["new_status"] = "skipped"
    elif outcome == "ok":
        change["new_status"] = "delivered"
        _tell_dispatch(writes, d, TaskNotified(
            task_id=d.task_id, case_id=d.case_id, department_id=d.department_id,
            webhook_id=d.webhook_id, attempts=attempts, delivered_at=now))
    elif outcome == "gone" or attempts >= len(recorder.schedule):
        change.update(_give_up(writes, d, attempts, outcome))
    else:
        delay = recorder.schedule[attempts] * random.uniform(1.0, 1.1)  # jitter spreads retries
        wait = timedelta(seconds=max(delay, finished.retry_after or 0))
        change.update(new_last_error=outcome, new_next_attempt_at=now + wait)
        failures.warning("webhook attempt %d of %s (%s) to department %s failed: %s; next at %s", attempts,
                         d.webhook_id, d.event_type, d.department_id, outcome, (now + wait).isoformat())
    writes.deliveries.append(change)
    writes.attempts.append({"delivery_id": d.id, "number": attempts, "attempted_at": now, "outcome": outcome[:500],
                            "next_attempt_at": change["new_next_attempt_at"] if change["new_status"] == "pending"
                            else None})


def _give_up(writes: _Writes, d: Row, attempts: int, outcome: str) -> dict[str, Any]:
    last_error = "HTTP 410 Gone: endpoint disabled" if outcome == "gone" else outcome
    if outcome == "gone":
        writes.gone.append({"department": d.department_id})
    log.warning("webhook %s to %s failed after %d attempts: %s", d.webhook_id, d.department_id, attempts, last_error)
    _tell_dispatch(writes, d, TaskNotificationFailed(
        task_id=d.task_id, case_id=d.case_id, department_id=d.department_id,
        webhook_id=d.webhook_id, attempts=attempts, last_error=last_error))
    return {"new_status": "failed", "new_last_error": last_error}


def _tell_dispatch(writes: _Writes, d: Row, payload: BaseModel) -> None:
    """Appended to the task's stream after the head read with the delivery, caused by the offer (audit follows
    the chain); two outcomes on one task in a turn go one after the other."""
    if d.event_type not in ANSWERS_AWAITED or d.task_found is None:
        return
    stream = stream_of(d.task_id)
    behind = sum(1 for a in writes.events if a.stream_id == stream)
    writes.events.append(Append(stream, (d.head or 0) + behind, d.case_id, [payload],
                                Cause(id=d.offer_event_id, correlationid=d.correlation_id)))
