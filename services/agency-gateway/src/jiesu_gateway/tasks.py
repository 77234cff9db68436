"""The gateway's service layer for tasks: take offers in, let departments act on them."""
from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.store import Cause, Database, EventStore

from jiesu_gateway.adapters.tables import Delivery, Task
from jiesu_gateway.domain.task import TaskView, decide_accept


def stream_of(task_id: str) -> str:
    return f"task-{task_id}"


def webhook_body(event_type: str, envelope: Envelope) -> str:
    """Standard Webhooks payload: {type, timestamp, data}; the type drops the version suffix."""
    return json.dumps({"type": event_type, "timestamp": envelope.time.isoformat(), "data": envelope.data},
                      ensure_ascii=False, separators=(",", ":"))


def append_task_event(session: Session, store: EventStore, task: Task, payload: BaseModel) -> None:
    """Append to the task's own stream, caused by the offer, so audit can follow the chain."""
    stream = stream_of(task.task_id)
    store.append(session, stream_id=stream, expected_version=store.version(session, stream), subject=task.case_id,
                 payloads=[payload], cause=Cause(id=task.offer_event_id, correlationid=task.correlation_id))


def view_of(task: Task | None) -> TaskView | None:
    if task is None:
        return None
    return TaskView(task_id=task.task_id, case_id=task.case_id, department_id=task.department_id, status=task.status)


@dataclass
class TaskService:
    database: Database
    store: EventStore

    def on_task_offered(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, TaskOffered)
        now = utc_now()
        session.add(Task(task_id=payload.task_id, case_id=payload.case_id, department_id=payload.department_id,
                         role=payload.role, status="offered", offer=payload.model_dump_json(),
                         offer_event_id=envelope.id, correlation_id=envelope.correlationid,
                         offered_at=envelope.time, updated_at=now))
        session.add(Delivery(webhook_id=envelope.id, department_id=payload.department_id,
                             case_id=payload.case_id, task_id=payload.task_id, event_type="task.offered",
                             body=webhook_body("task.offered", envelope), traceparent=envelope.traceparent,
                             next_attempt_at=now))

    def handlers(self) -> dict:
        return {"task.offered.v1": self.on_task_offered}

    def get(self, *, task_id: str, department_id: str) -> Task | None:
        with self.database.transaction() as session:
            task = session.get(Task, task_id)
            return task if task is not None and task.department_id == department_id else None

    def accept(self, *, task_id: str, department_id: str) -> Task:
        with self.database.transaction() as session:
            task = session.get(Task, task_id)
            event = decide_accept(view_of(task), department_id=department_id, now=utc_now())
            assert task is not None
            append_task_event(session, self.store, task, event)
            task.status = "accepted"
            task.updated_at = event.accepted_at
            session.add(task)
            return task
