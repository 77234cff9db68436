"""A task's stream, its view for the domain, and its document as the task API shows it."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, func, literal, select
from sqlmodel import Session

from jiesu_shared.store import Cause, EventStore
from jiesu_shared.store.tables import StoredEvent

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.domain.task import TaskView


_STREAM_PREFIX = "task-"
_EVENTS = StoredEvent.__table__  # type: ignore[attr-defined]


def stream_of(task_id: str) -> str:
    return f"{_STREAM_PREFIX}{task_id}"


def stream_head_of(task_id: ColumnElement[str]) -> ColumnElement[int]:
    """The version of the task's stream (NULL for a new one) as a column of a query that reads the task: its head
    read with the task's row, not by a statement of its own per task (what `EventStore.version` does)."""
    return (select(func.max(_EVENTS.c.version)).where(_EVENTS.c.stream_id == literal(_STREAM_PREFIX) + task_id)
            .scalar_subquery())


def append_task_event(session: Session, store: EventStore, task: Task | Row[Any], payload: BaseModel) -> None:
    """Append to the task's own stream, caused by the offer, so audit can follow the chain (`task`: its row, or
    the columns task_id, case_id, offer_event_id and correlation_id of it)."""
    stream = stream_of(task.task_id)
    store.append(session, stream_id=stream, expected_version=store.version(session, stream), subject=task.case_id,
                 payloads=[payload], cause=Cause(id=task.offer_event_id, correlationid=task.correlation_id))


def view_of(task: Task | Row[Any] | None) -> TaskView | None:
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset
