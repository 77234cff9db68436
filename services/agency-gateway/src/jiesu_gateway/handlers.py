"""The gateway's service layer: departments see and act on their own tasks (COMMAND_HANDLERS), and what the
gateway consumes from the log (EVENT_HANDLERS, the inbox) — both on one message bus.

Each action is a command on the bus: it appends one event to the task's stream and updates the task row in the
bus's transaction, where the bus also remembers the answer under the Idempotency-Key (a retried request gets the
first answer back and never appends a second event) and which it retries when the task's stream moved on.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from jiesu_shared.messagebus import Answer, CommandHandler, EventHandler, IdempotencyKey, MessageBus
from jiesu_shared.store import Database, EventStore

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import Command, decide, evolve
from jiesu_gateway.inbox import Inbox
from jiesu_gateway.tasks import append_task_event, task_document, view_of

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ActOnTask:
    """A department's command on one of its tasks."""

    task_id: str
    department_id: str
    command: Command


def act_on_task(store: EventStore, clock: Clock, session: Session, message: ActOnTask) -> dict[str, Any]:
    """The command handler: decide on the task as it stands, append the event, update the row; the task's
    document is the answer."""
    # Locked (on PostgreSQL), so a racing request waits and then decides on the state this one leaves.
    task = session.get(Task, message.task_id, with_for_update=True)
    now = clock()
    event = decide(message.command, view_of(task), department_id=message.department_id, now=now)
    assert task is not None  # decide raised TaskNotFound otherwise
    append_task_event(session, store, task, event)
    task.status = evolve(view_of(task), event).status  # type: ignore[arg-type]
    task.updated_at = now
    session.add(task)
    return task_document(task)


def command_handlers(store: EventStore, clock: Clock) -> dict[type, CommandHandler]:
    """COMMAND_HANDLERS for the gateway's message bus."""
    return {ActOnTask: partial(act_on_task, store, clock)}


def event_handlers(clock: Clock, on_enqueued: Callable[[], None] = lambda: None) -> dict[type[BaseModel], EventHandler]:
    """EVENT_HANDLERS: what the gateway consumes, by catalogue class (see inbox)."""
    return Inbox(clock=clock, on_enqueued=on_enqueued).event_handlers()


@dataclass
class TaskService:
    database: Database
    bus: MessageBus  # the gateway's one message path

    def get(self, *, task_id: str, department_id: str) -> Task | None:
        with self.database.reading() as session:
            task = session.get(Task, task_id)
            return task if task is not None and task.department_id == department_id else None

    def list(self, *, department_id: str, status: str | None = None, case_id: str | None = None,
             limit: int = 100, offset: int = 0) -> list[Task]:
        query = select(Task).where(Task.department_id == department_id)
        if status is not None:
            query = query.where(Task.status == status)
        if case_id is not None:
            query = query.where(Task.case_id == case_id)
        query = query.order_by(col(Task.offered_at), col(Task.task_id)).offset(offset).limit(limit)
        with self.database.reading() as session:
            return list(session.exec(query).all())

    def act(self, *, task_id: str, department_id: str, command: Command,
            idempotency: IdempotencyKey | None = None) -> Answer:
        """Decide and record the command; raises TaskNotFound, InvalidTransition, IdempotencyKeyReused,
        IdempotencyKeyInFlight or Busy."""
        return self.bus.handle(ActOnTask(task_id, department_id, command), key=idempotency)
