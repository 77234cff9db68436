"""The gateway's service layer for tasks: let departments see and act on their own tasks.

Each action appends one event to the task's stream, updates the task row, and (with an
Idempotency-Key) remembers the answer, all in one transaction: a retried request gets the first
answer back and never appends a second event.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from jiesu_shared.store import Cause, ConcurrencyError, Database, EventStore
from jiesu_shared.store.idempotency import RememberedResponse, recall, remember

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import Command, TaskView, decide, evolve

Clock = Callable[[], datetime]


class TaskBusy(Exception):
    """The task's stream kept moving under us (e.g. its webhook outcome being recorded); try again."""


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    fingerprint: str


def stream_of(task_id: str) -> str:
    return f"task-{task_id}"


def append_task_event(session: Session, store: EventStore, task: Task, payload: BaseModel) -> None:
    """Append to the task's own stream, caused by the offer, so audit can follow the chain."""
    stream = stream_of(task.task_id)
    store.append(session, stream_id=stream, expected_version=store.version(session, stream), subject=task.case_id,
                 payloads=[payload], cause=Cause(id=task.offer_event_id, correlationid=task.correlation_id))


def view_of(task: Task | None) -> TaskView | None:
    if task is None:
        return None
    return TaskView(task_id=task.task_id, case_id=task.case_id, department_id=task.department_id,
                    status=task.status, kind=task.kind, whistle_id=task.whistle_id)  # type: ignore[arg-type]


def task_document(task: Task) -> dict[str, Any]:
    """The task as the API shows it (and as an Idempotency-Key replay returns it)."""
    return {"task_id": task.task_id, "case_id": task.case_id, "department_id": task.department_id,
            "role": task.role, "kind": task.kind, "whistle_id": task.whistle_id, "status": task.status,
            "offered_at": _aware(task.offered_at).isoformat(), "updated_at": _aware(task.updated_at).isoformat(),
            "offer": json.loads(task.offer)}


@dataclass
class TaskService:
    database: Database
    store: EventStore
    clock: Clock
    attempts: int = 5

    def get(self, *, task_id: str, department_id: str) -> Task | None:
        with self.database.transaction() as session:
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
        with self.database.transaction() as session:
            return list(session.exec(query).all())

    def act(self, *, task_id: str, department_id: str, command: Command,
            idempotency: IdempotentRequest | None = None) -> RememberedResponse:
        """Decide and record the command; raises TaskNotFound, InvalidTransition, IdempotencyKeyReused,
        IdempotencyKeyInFlight or TaskBusy."""
        for _ in range(self.attempts):
            try:
                return self._act_once(task_id, department_id, command, idempotency)
            except ConcurrencyError:
                continue  # someone appended to the task meanwhile: decide again on fresh state
        raise TaskBusy(task_id)

    def _act_once(self, task_id: str, department_id: str, command: Command,
                  idempotency: IdempotentRequest | None) -> RememberedResponse:
        scope = f"department:{department_id}"
        with self.database.transaction() as session:
            # Locked first (on PostgreSQL), so a racing request waits, then finds this one's remembered
            # answer or decides on the state this one leaves, never on a stale one.
            task = session.get(Task, task_id, with_for_update=True)
            if idempotency is not None:
                remembered = recall(session, scope=scope, key=idempotency.key, fingerprint=idempotency.fingerprint)
                if remembered is not None:
                    return remembered
            now = self.clock()
            event = decide(command, view_of(task), department_id=department_id, now=now)
            assert task is not None  # decide raised TaskNotFound otherwise
            append_task_event(session, self.store, task, event)
            task.status = evolve(view_of(task), event).status  # type: ignore[arg-type]
            task.updated_at = now
            session.add(task)
            document = task_document(task)
            if idempotency is not None:
                remember(session, scope=scope, key=idempotency.key, fingerprint=idempotency.fingerprint,
                         status_code=200, body=document)
            return RememberedResponse(200, document)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset
