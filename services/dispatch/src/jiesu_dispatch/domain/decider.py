"""How dispatch reacts to what intake and the departments did: dispatch, re-route returns (退单),
escalate bouncing cases, cancel tasks of closed cases and see when a case is handled.

`react(state, fact, ctx)` gets the case state with `fact` already folded in and returns new events.
"""
from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.catalogue.common import Place

from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.domain.state import SUPPORT_REROUTE, CaseState, Task


@dataclass(frozen=True)
class Context:
    routing: RoutingTable
    sla: SlaPolicy
    now: datetime
    new_id: Callable[[], str]
    max_returns: int = 2
    directory: frozenset[str] = frozenset()
    areas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # jurisdiction per registered department

    def known(self) -> frozenset[str]:
        return self.directory | self.routing.departments()

    def covers(self, department: str, place: Place) -> bool:
        """Whether the place is in the department's jurisdiction (属地); no areas registered means anywhere."""
        areas = self.areas.get(department)
        if not areas:
            return True
        path = "/".join(p for p in (place.district, place.street, place.community) if p)
        return any(path == a or path.startswith(a + "/") for a in areas)


def offer(state: CaseState, department: str, role: str, ctx: Context, **extra: Any) -> d.TaskOffered:
    sla = ctx.sla.for_case(state.category, state.urgency)
    deadlines = {"decide_by": ctx.now + sla.decide_within, "respond_by": ctx.now + sla.respond_within,
                 "resolve_by": ctx.now + sla.resolve_within}
    return d.TaskOffered(task_id=ctx.new_id(), case_id=state.case_id, department_id=department, role=role,
                         category=state.category, summary=state.summary, place=state.place,
                         sla_policy_version=ctx.sla.version, **{**deadlines, **extra})


def dispatch_to(state: CaseState, lead: str, supporting: list[str], ctx: Context, *, rule: str,
                coordinator: str | None = None, reason: str | None = None) -> list[BaseModel]:
    supporting = [s for s in dict.fromkeys(supporting) if s != lead]
    events: list[BaseModel] = [d.CaseDispatched(case_id=state.case_id, lead_department=lead,
                                                supporting_departments=supporting, rule=rule,
                                                coordinator=coordinator, reason=reason,
                                                sla_policy_version=ctx.sla.version)]
    events.append(offer(state, lead, "lead", ctx))
    events.extend(offer(state, s, "supporting", ctx) for s in supporting)
    return events


def dispatch_by_rules(state: CaseState, ctx: Context, reason: str | None = None) -> list[BaseModel]:
    route = ctx.routing.route(state.category, state.place)
    return dispatch_to(state, route.lead, list(route.supporting), ctx, rule=f"{ctx.routing.version}/{route.rule_id}",
                       reason=reason)


def cancel_open(state: CaseState, reason: str, kinds: tuple[str, ...] = ("case",)) -> list[BaseModel]:
    return [d.TaskCancelled(task_id=t.task_id, case_id=state.case_id, department_id=t.department_id, reason=reason)
            for t in state.tasks.values() if t.open and t.kind in kinds]


def react(state: CaseState | None, fact: BaseModel, ctx: Context) -> list[BaseModel]:
    if state is None:
        return []  # a fact about a case dispatch never received: nothing to decide
    match fact:
        case i.CaseReceived():
            return dispatch_by_rules(state, ctx) if state.status == "received" and not state.tasks else []
        case i.CaseReclassified():
            if state.status not in ("open", "escalated") or state.ruled:
                return []
            return cancel_open(state, "case reclassified") + dispatch_by_rules(state, ctx, reason="reclassified")
        case i.CaseReopened():
            return redispatch_reopened(state, fact, ctx)
        case i.CaseWithdrawn() | i.CaseClosed():
            return cancel_open(state, f"case {type(fact).__name__[4:].lower()}", ("case", "whistle_report_in",
                                                                                    "meeting_decision"))
        case g.TaskReturned():
            return on_return(state, fact, ctx)
        case g.TaskCompleted():
            return handled_if_done(state, ctx.now, fact.resolution)
        case g.TaskReportedIn():
            return late_report_in(state, fact)
        case g.TaskNotificationFailed():
            lead = state.lead_task()
            if state.status == "open" and lead is not None and lead.task_id == fact.task_id and lead.status == "offered":
                return [escalate(state, "the lead department could not be notified")]
    return []


def escalate(state: CaseState, reason: str) -> d.CaseEscalated:
    return d.CaseEscalated(case_id=state.case_id, reason=reason, return_count=state.return_count)


def on_return(state: CaseState, returned: g.TaskReturned, ctx: Context) -> list[BaseModel]:
    task = state.tasks.get(returned.task_id)
    if task is None or task.kind != "case" or task.status != "returned" or state.status != "open":
        return []
    if task.binding:  # the ruling binds: the department cannot hand the case back
        return [d.CaseRerouted(case_id=state.case_id, from_department=task.department_id,
                               to_department=task.department_id, reason="the ruling binds: return refused",
                               return_count=state.return_count),
                offer(state, task.department_id, task.role, ctx)]
    if task.role == "supporting":
        return reroute_supporting(state, task, returned, ctx)
    if state.return_count >= ctx.max_returns:
        return [escalate(state, f"returned {state.return_count} times")]
    target = next_lead(state, returned.suggested_department, ctx)
    if target is None:
        return [escalate(state, "no department left to try")]
    to, reason = target
    return [d.CaseRerouted(case_id=state.case_id, from_department=task.department_id, to_department=to,
                           reason=reason, return_count=state.return_count),
            offer(state, to, "lead", ctx)]


def next_lead(state: CaseState, suggested: str | None, ctx: Context) -> tuple[str, str] | None:
    excluded = state.returned_by | state.holders()

    def eligible(department: str) -> bool:
        return department not in excluded and ctx.covers(department, state.place)

    if suggested and suggested in ctx.known() and eligible(suggested):
        return suggested, "named by the returning department"
    for candidate in ctx.routing.candidates(state.category, state.place):
        if eligible(candidate):
            return candidate, "next rule candidate"
    return None


def reroute_supporting(state: CaseState, task: Task, returned: g.TaskReturned, ctx: Context) -> list[BaseModel]:
    suggested = returned.suggested_department
    if not suggested or suggested not in ctx.known() or suggested in state.returned_by | state.holders():
        return handled_if_done(state, ctx.now, None)  # the supporting department is released by its return
    return [d.CaseRerouted(case_id=state.case_id, from_department=task.department_id, to_department=suggested,
                           reason=SUPPORT_REROUTE, return_count=state.return_count),
            offer(state, suggested, "supporting", ctx)]


def handled_if_done(state: CaseState, now: datetime, resolution: str | None) -> list[BaseModel]:
    """Handled when the lead completed and every supporting task completed or was released."""
    lead = state.lead_task()
    if state.status != "open" or lead is None or lead.status != "completed":
        return []
    if any(t.open for t in state.case_tasks() if t.role == "supporting"):
        return []
    return [d.CaseHandled(case_id=state.case_id, lead_department=lead.department_id, handled_at=now,
                          resolution=resolution or "completed by the lead department")]


def late_report_in(state: CaseState, reported: g.TaskReportedIn) -> list[BaseModel]:
    whistle = state.whistles.get(reported.whistle_id)
    if whistle is None or reported.reported_at <= whistle.report_in_by:
        return []
    # Not rounded: a report-in a fraction of a second late is late, and must not read as 0 minutes.
    minutes = (reported.reported_at - whistle.report_in_by).total_seconds() / 60
    return [d.WhistleReportedInLate(whistle_id=whistle.whistle_id, case_id=state.case_id,
                                    department_id=reported.department_id, report_in_by=whistle.report_in_by,
                                    reported_at=reported.reported_at, minutes_late=minutes)]


def redispatch_reopened(state: CaseState, reopened: i.CaseReopened, ctx: Context) -> list[BaseModel]:
    """A reopened case goes back to the departments that handled it, its history (returns) kept."""
    done = [t for t in state.case_tasks() if t.status == "completed"]
    lead = next((t.department_id for t in reversed(done) if t.role == "lead"), None)
    if lead is None:
        return dispatch_by_rules(state, ctx, reason=f"reopened ({reopened.reopen_count}): {reopened.reason}")
    supporting = [t.department_id for t in done if t.role == "supporting"]
    reason = f"reopened ({reopened.reopen_count}): {reopened.reason}"
    return cancel_open(state, "case reopened") + dispatch_to(state, lead, supporting, ctx, rule="reopened",
                                                             reason=reason)
