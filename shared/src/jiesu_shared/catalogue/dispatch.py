"""Events produced by dispatch."""
from __future__ import annotations

from datetime import datetime

from jiesu_shared.catalogue.common import Place, TaskRole
from jiesu_shared.catalogue.registry import Payload, event_type


@event_type("case.dispatched.v1")
class CaseDispatched(Payload):
    case_id: str
    lead_department: str
    supporting_departments: list[str]
    rule: str  # which routing rule decided, so the audit can say who was responsible and why


@event_type("task.offered.v1")
class TaskOffered(Payload):
    task_id: str
    case_id: str
    department_id: str
    role: TaskRole
    category: str
    summary: str
    place: Place
    decide_by: datetime
    respond_by: datetime
    resolve_by: datetime
