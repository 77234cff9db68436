"""Events produced by agency-gateway."""
from __future__ import annotations

from datetime import datetime

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


@event_type("task.accepted.v1")
class TaskAccepted(Payload):
    task_id: str
    case_id: str
    department_id: str
    accepted_at: datetime


@event_type("task.notification_failed.v1")
class TaskNotificationFailed(Payload):
    """Every delivery attempt failed (or the endpoint answered 410 Gone); dispatch treats it as no answer."""

    task_id: str
    case_id: str
    department_id: str
    webhook_id: str
    attempts: int
    last_error: str
