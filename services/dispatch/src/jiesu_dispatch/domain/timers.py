"""What a due SLA timer means for a case: a warning, a breach, a no-show, or nothing.

A verdict is a fact of event time, never of when the timer happens to run: a clock breaches if and
only if the event that stopped it happened after the deadline, or nothing has stopped it; a warning
is due, exactly once, if and only if the clock was still running at the warning's time. A warning decided
after its clock stopped (dispatch lagged) says when it stopped: it is kept for the record, and the
department gets no reminder for a task it has already answered. The caller fires a timer only once
it has read the log up to the timer's time (the watermark), so a stopping event that is on time but
arrives late is already folded in, and one that is late yields the breach even if it arrived first.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.domain.decider import escalate
from jiesu_dispatch.domain.sla import TimerSpec
from jiesu_dispatch.domain.state import CaseState


def runs_out(timer: TimerSpec, stopped_at: datetime | None) -> bool:
    """Whether the clock was still running at the timer's moment (it stopped after it, or not at all): the
    rule for a breach at its deadline, and for a warning that goes out on time (the simulator's rule too)."""
    return stopped_at is None or stopped_at > timer.due_at


def fire(state: CaseState | None, timer: TimerSpec) -> list[BaseModel]:
    task = state.tasks.get(timer.task_id) if state else None
    if state is None or task is None:
        return []
    stopped_at = task.stopped_at(timer.clock)
    if not runs_out(timer, stopped_at):
        return []  # the clock stopped in time
    if timer.clock == "report_in":
        return [d.WhistleNoShow(whistle_id=task.whistle_id or "", case_id=state.case_id,
                                department_id=task.department_id, report_in_by=timer.deadline)]
    fields = dict(case_id=state.case_id, task_id=task.task_id, department_id=task.department_id,
                  clock=timer.clock, deadline=timer.deadline)
    if timer.phase == "warning":
        return [d.SlaWarning(**fields, clock_stopped_at=stopped_at)]
    events: list[BaseModel] = [d.SlaBreached(**fields)]
    lead = state.lead_task()
    nobody_accepted = lead is not None and lead.task_id == task.task_id and lead.status == "offered"
    if timer.clock == "decide" and task.kind == "case" and state.status == "open" and nobody_accepted:
        events.append(escalate(state, "nobody accepted before the decision deadline"))
    return events
