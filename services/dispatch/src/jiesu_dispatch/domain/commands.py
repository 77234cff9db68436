"""What coordinators command: dispatch by hand, rule on an escalated case (审定), blow the whistle (吹哨),
release a supporting department. A command that cannot be carried out raises CommandRejected and
produces no events."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.domain.decider import Context, dispatch_to, handled_if_done, offer
from jiesu_dispatch.domain.state import CaseState, evolve


class CommandRejected(Exception):
    """kind: not-found, conflict (the case's state forbids it) or invalid (the command names bad things)."""

    def __init__(self, kind: str, slug: str, detail: str, **extensions: object) -> None:
        super().__init__(detail)
        self.kind, self.slug, self.detail, self.extensions = kind, slug, detail, extensions


@dataclass(frozen=True)
class Assign:
    lead: str
    supporting: tuple[str, ...]
    coordinator: str
    reason: str
    override_returns: bool = False
    ruling: bool = False  # a ruling (审定) answers an escalation and binds the departments


def require_case(state: CaseState | None, case_id: str) -> CaseState:
    if state is None:
        raise CommandRejected("not-found", "case-not-found", f"case {case_id} is not known to dispatch")
    if state.status == "closed":
        raise CommandRejected("conflict", "case-closed", f"case {case_id} is closed")
    return state


def require_known(departments: list[str] | tuple[str, ...], known: frozenset[str]) -> None:
    unknown = sorted(set(departments) - known)
    if unknown:
        raise CommandRejected("invalid", "unknown-department", f"not in the directory: {', '.join(unknown)}",
                              unknown_departments=unknown)


def assign(state: CaseState | None, case_id: str, command: Assign, ctx: Context) -> list[BaseModel]:
    state = require_case(state, case_id)
    if state.status == "handled":
        raise CommandRejected("conflict", "case-handled", f"case {case_id} is handled; it is dispatched again if reopened")
    if command.ruling and state.status != "escalated":
        raise CommandRejected("conflict", "not-escalated", f"case {case_id} is {state.status}, not awaiting a ruling")
    chosen = [command.lead, *command.supporting]
    require_known(chosen, ctx.known())
    returned = sorted(set(chosen) & state.returned_by)
    if returned and not command.override_returns:
        raise CommandRejected("conflict", "returned-before",
                              f"{', '.join(returned)} already returned this case; set override_returns to insist",
                              returned_by=returned)
    return reassign(state, command, ctx)


def reassign(state: CaseState, command: Assign, ctx: Context) -> list[BaseModel]:
    """Cancel the open tasks the assignment drops; a department named again in the same role keeps its task."""
    wanted = {(command.lead, "lead"), *((s, "supporting") for s in command.supporting if s != command.lead)}
    kept = {(t.department_id, t.role) for t in state.open_case_tasks()} & wanted
    cancelled = [d.TaskCancelled(task_id=t.task_id, case_id=state.case_id, department_id=t.department_id,
                                 reason=f"reassigned by coordinator {command.coordinator}")
                 for t in state.open_case_tasks() if (t.department_id, t.role) not in kept]
    events = dispatch_to(state, command.lead, list(command.supporting), ctx,
                         rule="ruling" if command.ruling else "manual", coordinator=command.coordinator,
                         reason=command.reason)
    fresh = [e for e in events if not isinstance(e, d.TaskOffered) or (e.department_id, e.role) not in kept]
    return [*cancelled, *fresh]


@dataclass(frozen=True)
class BlowWhistle:
    street_office: str
    summoned: tuple[str, ...]
    report_in_within: timedelta | None
    reason: str
    coordinator: str


def blow_whistle(state: CaseState | None, case_id: str, command: BlowWhistle, ctx: Context) -> list[BaseModel]:
    state = require_case(state, case_id)
    if state.status == "handled":
        raise CommandRejected("conflict", "case-handled", f"case {case_id} is already handled")
    require_known([command.street_office, *command.summoned], ctx.known())
    within = command.report_in_within or ctx.sla.for_case(state.category, state.urgency).report_in_within
    report_in_by = ctx.now + within
    whistle_id = ctx.new_id()
    summoned = list(dict.fromkeys(command.summoned))
    events: list[BaseModel] = [d.WhistleBlown(whistle_id=whistle_id, case_id=case_id,
                                              street_office=command.street_office, summoned=summoned,
                                              report_in_by=report_in_by, reason=command.reason,
                                              blown_by=command.coordinator)]
    events.extend(offer(state, dept, "supporting", ctx, kind="whistle_report_in", whistle_id=whistle_id,
                        report_in_by=report_in_by, decide_by=report_in_by, respond_by=report_in_by)
                  for dept in summoned)
    return events


def release(state: CaseState | None, case_id: str, task_id: str, reason: str, coordinator: str,
            ctx: Context) -> list[BaseModel]:
    """Release a supporting department from its task; the case may thereby be handled."""
    state = require_case(state, case_id)
    task = state.tasks.get(task_id)
    if task is None:
        raise CommandRejected("not-found", "task-not-found", f"case {case_id} has no task {task_id}")
    if task.role != "supporting" or task.kind != "case" or not task.open:
        raise CommandRejected("conflict", "not-releasable",
                              f"only an open supporting task can be released; this one is {task.role}, {task.status}")
    cancelled = d.TaskCancelled(task_id=task_id, case_id=case_id, department_id=task.department_id,
                                reason=f"released by coordinator {coordinator}: {reason}")
    after = evolve(state, cancelled)
    assert after is not None
    return [cancelled, *handled_if_done(after, ctx.now, None)]
