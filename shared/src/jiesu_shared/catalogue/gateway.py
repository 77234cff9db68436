"""Events produced by agency-gateway: what departments did with their tasks, and webhook outcomes."""
from __future__ import annotations

from datetime import datetime

from jiesu_shared.catalogue.common import RejectionReason
from jiesu_shared.catalogue.registry import Payload, event_type


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


@event_type("task.rejected.v1")
class TaskRejected(Payload):
    """退单: the department returns the task, saying why and, if it knows, who should take it."""

    task_id: str
    case_id: str
    department_id: str
    reason: RejectionReason
    note: str | None = None
    suggested_department: str | None = None
    rejected_at: datetime


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
