"""Events produced by agency-gateway: what departments did with their tasks, and webhook outcomes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jiesu_shared.catalogue.common import ReturnReason
from jiesu_shared.catalogue.registry import UPCASTERS, Payload, event_type


@event_type("task.notified.v1")
class TaskNotified(Payload):
    """The department's webhook acknowledged the offer (2xx)."""

    task_id: str
    case_id: str
    department_id: str
    webhook_id: str
    attempts: int
    delivered_at: datetime


@event_type("task.notification_failed.v1")
class TaskNotificationFailed(Payload):
    """Every delivery attempt failed (or the endpoint answered 410 Gone); dispatch treats it as no answer."""

    task_id: str
    case_id: str
    department_id: str
    webhook_id: str
    attempts: int
    last_error: str


@event_type("task.accepted.v1")
class TaskAccepted(Payload):
    task_id: str
    case_id: str
    department_id: str
    accepted_at: datetime


@event_type("task.returned.v2")
class TaskReturned(Payload):
    """退单: the department returns the task, saying why and, if it knows, who should take it.

    v1 was `task.rejected.v1` with `rejected_at`; the catalogue upcasts it (below), so older logs still read."""

    task_id: str
    case_id: str
    department_id: str
    reason: ReturnReason
    note: str | None = None
    suggested_department: str | None = None
    returned_at: datetime


def _returned_from_rejected(data: dict[str, Any]) -> dict[str, Any]:
    """`task.rejected.v1` -> `task.returned.v2`: the same fact, its time renamed."""
    returned = dict(data)
    if "rejected_at" in returned:
        returned["returned_at"] = returned.pop("rejected_at")
    return returned


UPCASTERS["task.rejected.v1"] = ("task.returned.v2", _returned_from_rejected)


@event_type("task.responded.v1")
class TaskResponded(Payload):
    """First contact with the citizen made (响应)."""

    task_id: str
    case_id: str
    department_id: str
    responded_at: datetime
    note: str | None = None


@event_type("task.progress_reported.v1")
class TaskProgressReported(Payload):
    task_id: str
    case_id: str
    department_id: str
    note: str
    attachments: list[str] = []
    reported_at: datetime


@event_type("task.completed.v1")
class TaskCompleted(Payload):
    task_id: str
    case_id: str
    department_id: str
    resolution: str
    completed_at: datetime


@event_type("task.reported_in.v1")
class TaskReportedIn(Payload):
    """报到: a summoned department reports in to a whistle."""

    task_id: str
    case_id: str
    department_id: str
    whistle_id: str
    reported_at: datetime
    note: str | None = None
