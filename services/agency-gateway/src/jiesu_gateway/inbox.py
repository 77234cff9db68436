"""What the gateway takes from the log: offers become tasks, and what a department must hear about
(offers, cancellations, reminders, updates on its cases) becomes a webhook delivery.

Handlers run in the consumer's transaction, so a task and its delivery are recorded together with
the fact that the event was handled: nothing twice, nothing lost.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from jiesu_shared.catalogue.dispatch import SlaWarning, TaskCancelled, TaskOffered
from jiesu_shared.consumer import Unprocessable
from jiesu_shared.messagebus import EventHandler
from jiesu_shared.events import Envelope

from jiesu_gateway.adapters.tables import Delivery, Department, Task
from jiesu_gateway.domain.task import TERMINAL, cancel
from jiesu_gateway.messages import CASE_UPDATE_EVENTS, unversioned, webhook_body
from jiesu_gateway.tasks import view_of

Clock = Callable[[], datetime]
_TASKS = Task.__table__  # type: ignore[attr-defined]
# A new task (its id returned), or nothing when its id was offered before: one statement, no look first. (Not
# the row count: psycopg does not report one for an INSERT.)
_NEW_TASK = {"sqlite": sqlite_insert(_TASKS).on_conflict_do_nothing().returning(_TASKS.c.task_id),
             "postgresql": postgresql_insert(_TASKS).on_conflict_do_nothing().returning(_TASKS.c.task_id)}
_TASKS_OF_CASE = (select(_TASKS.c.task_id, _TASKS.c.department_id, _TASKS.c.status)
                  .where(_TASKS.c.case_id == bindparam("case_id")).order_by(_TASKS.c.offered_at, _TASKS.c.task_id))
_DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
_WANTED = select(_DEPARTMENTS.c.event_types).where(_DEPARTMENTS.c.department_id == bindparam("department_id"))
_NEW_DELIVERY = insert(Delivery.__table__)  # type: ignore[arg-type]
NOT_PARTY = frozenset({"returned", "cancelled"})  # a department that returned or lost the task is no longer party


@dataclass
class Inbox:
    clock: Clock
    on_enqueued: Callable[[], None] = lambda: None  # tells the delivery worker to look without asking first

    def event_handlers(self) -> dict[type[BaseModel], EventHandler]:
        """EVENT_HANDLERS: what the gateway consumes, by catalogue class (for its message bus)."""
        return {TaskOffered: self.on_task_offered, TaskCancelled: self.on_task_cancelled,
                SlaWarning: self.on_sla_warning, **dict.fromkeys(CASE_UPDATE_EVENTS, self.on_case_update)}

    def on_task_offered(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, TaskOffered)
        connection = session.connection()  # Core rows: the ORM's unit of work cost more than these writes
        added = connection.execute(_NEW_TASK[connection.dialect.name], {
            "task_id": payload.task_id, "case_id": payload.case_id, "department_id": payload.department_id,
            "role": payload.role, "kind": payload.kind, "whistle_id": payload.whistle_id, "status": "offered",
            "offer": payload.model_dump_json(), "offer_event_id": envelope.id, "correlation_id": envelope.correlationid,
            "offered_at": envelope.time, "updated_at": self.clock()})
        if added.first() is None:
            raise Unprocessable(f"task {payload.task_id} was offered before by another event")
        self._enqueue(session, envelope, payload.department_id, payload.task_id, "task.offered", envelope.data)

    def on_task_cancelled(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, TaskCancelled)
        task = self._task_of(session, payload.task_id, payload.department_id)
        if task.status in TERMINAL:
            return  # finished before the cancellation arrived: nothing to withdraw
        task.status = cancel(view_of(task)).status  # type: ignore[arg-type]
        task.updated_at = self.clock()
        session.add(task)
        self._enqueue(session, envelope, task.department_id, task.task_id, "task.cancelled", envelope.data)

    def on_sla_warning(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, SlaWarning)
        task = self._task_of(session, payload.task_id, payload.department_id)
        if payload.clock_stopped_at is None and task.status not in TERMINAL:  # nothing to remind of otherwise
            self._enqueue(session, envelope, task.department_id, task.task_id, "task.reminder", envelope.data)

    def on_case_update(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        tasks = session.connection().execute(_TASKS_OF_CASE, {"case_id": envelope.subject})
        parties = {t.department_id: t for t in tasks if t.status not in NOT_PARTY}
        for department_id, task in sorted(parties.items()):
            self._enqueue(session, envelope, department_id, task.task_id, unversioned(envelope.type), envelope.data)

    @staticmethod
    def _task_of(session: Session, task_id: str, department_id: str) -> Task:
        task = session.get(Task, task_id, with_for_update=True)  # a department may be acting on it right now
        if task is None or task.department_id != department_id:
            raise Unprocessable(f"no task {task_id} of {department_id} was offered")
        return task

    def _enqueue(self, session: Session, envelope: Envelope, department_id: str, task_id: str, webhook_type: str,
                 data: dict[str, Any]) -> None:
        connection = session.connection()
        wanted = json.loads(connection.execute(_WANTED, {"department_id": department_id}).scalar() or "[]")
        if wanted and webhook_type not in wanted:
            return  # the department did not ask for these; it can still poll GET /tasks
        connection.execute(_NEW_DELIVERY, {
            "webhook_id": envelope.id, "department_id": department_id, "case_id": envelope.subject,
            "task_id": task_id, "event_type": webhook_type, "body": webhook_body(webhook_type, envelope.time, data),
            "traceparent": envelope.traceparent, "status": "pending", "attempts": 0, "last_error": None,
            "next_attempt_at": self.clock()})
        self.on_enqueued()
