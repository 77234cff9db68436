"""What a due SLA timer means for a case: a warning, a breach, a no-show, or nothing any more."""
from __future__ import annotations

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.domain.decider import escalate
from jiesu_dispatch.domain.sla import TimerSpec
from jiesu_dispatch.domain.state import CaseState

# Which task statuses still run each clock.
RUNNING = {
    "decide": ("offered",),
    "respond": ("offered", "accepted"),
    "resolve": ("offered", "accepted", "responded"),
    "report_in": ("offered", "accepted"),
}


def fire(state: CaseState | None, timer: TimerSpec) -> list[BaseModel]:
    task = state.tasks.get(timer.task_id) if state else None
    if state is None or task is None or state.status == "closed" or task.status not in RUNNING[timer.clock]:
        return []  # the clock stopped: the task moved on, was cancelled, or the case closed
    if timer.clock == "report_in":
        return [d.WhistleNoShow(whistle_id=task.whistle_id or "", case_id=state.case_id,
                                department_id=task.department_id, report_in_by=timer.deadline)]
    fields = dict(case_id=state.case_id, task_id=task.task_id, department_id=task.department_id,
                  clock=timer.clock, deadline=timer.deadline)
    if timer.phase == "warning":
        return [d.SlaWarning(**fields)]
    events: list[BaseModel] = [d.SlaBreached(**fields)]
    lead = state.lead_task()
    nobody_accepted = lead is not None and lead.task_id == task.task_id and lead.status == "offered"
    if timer.clock == "decide" and task.kind == "case" and state.status == "open" and nobody_accepted:
        events.append(escalate(state, "nobody accepted before the decision deadline"))
    return events
