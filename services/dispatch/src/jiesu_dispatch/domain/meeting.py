"""联席会议: a joint meeting's decisions become tasks with an owner department and a deadline."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.domain.commands import CommandRejected, require_case, require_known
from jiesu_dispatch.domain.decider import Context, offer
from jiesu_dispatch.domain.state import CaseState


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    street_office: str | None  # the convening unit; None for a meeting convened before it was recorded
    convened_by: str  # the coordinator who convened it
    participants: tuple[str, ...]
    case_ids: tuple[str, ...]
    scheduled_at: datetime
    carried_over_from: str | None = None
    decisions: tuple[d.MeetingDecisionRecorded, ...] = ()
    adjourned: d.MeetingAdjourned | None = None


def evolve_meeting(meeting: Meeting | None, event: BaseModel) -> Meeting | None:
    match event:
        case d.MeetingConvened():
            return Meeting(meeting_id=event.meeting_id, street_office=event.street_office,
                           convened_by=event.convened_by,
                           participants=tuple(event.participants), case_ids=tuple(event.case_ids),
                           scheduled_at=event.scheduled_at, carried_over_from=event.carried_over_from)
        case d.MeetingDecisionRecorded() if meeting is not None:
            return replace(meeting, decisions=(*meeting.decisions, event))
        case d.MeetingAdjourned() if meeting is not None:
            return replace(meeting, adjourned=event)
    return meeting


def fold_meeting(events: Iterable[BaseModel]) -> Meeting | None:
    meeting: Meeting | None = None
    for event in events:
        meeting = evolve_meeting(meeting, event)
    return meeting


def convene(*, street_office: str, convened_by: str, participants: list[str], case_ids: list[str],
            scheduled_at: datetime, ctx: Context) -> d.MeetingConvened:
    """A coordinator convenes a meeting for a street office, which must be a unit the directory knows."""
    require_known([street_office, *participants], ctx.known())
    return _convened(street_office, convened_by, participants, case_ids, scheduled_at, ctx)


def _convened(street_office: str | None, convened_by: str, participants: list[str], case_ids: list[str],
              scheduled_at: datetime, ctx: Context, carried_over_from: str | None = None) -> d.MeetingConvened:
    return d.MeetingConvened(meeting_id=ctx.new_id(), street_office=street_office, convened_by=convened_by,
                             participants=list(dict.fromkeys(participants)), case_ids=list(dict.fromkeys(case_ids)),
                             scheduled_at=scheduled_at, carried_over_from=carried_over_from)


def require_open(meeting: Meeting | None, meeting_id: str) -> Meeting:
    if meeting is None:
        raise CommandRejected("not-found", "meeting-not-found", f"no meeting {meeting_id}")
    if meeting.adjourned is not None:
        raise CommandRejected("conflict", "meeting-adjourned", f"meeting {meeting_id} is adjourned")
    return meeting


def record_decision(meeting: Meeting | None, meeting_id: str, case: CaseState | None, *, case_id: str, text: str,
                    owner: str, deadline: datetime, recorded_by: str, ctx: Context) -> list[BaseModel]:
    meeting = require_open(meeting, meeting_id)
    if case_id not in meeting.case_ids:
        raise CommandRejected("invalid", "case-not-on-agenda", f"case {case_id} is not on meeting {meeting_id}'s agenda")
    case = require_case(case, case_id)
    require_known([owner], ctx.known())
    if deadline <= ctx.now:
        raise CommandRejected("invalid", "deadline-passed", "a decision's deadline must be in the future")
    task = offer(case, owner, "lead", ctx, kind="meeting_decision", meeting_id=meeting_id, resolve_by=deadline)
    task = task.model_copy(update={"respond_by": min(task.respond_by, deadline),
                                   "decide_by": min(task.decide_by, deadline)})
    decision = d.MeetingDecisionRecorded(meeting_id=meeting_id, decision_id=ctx.new_id(), case_id=case_id,
                                         text=text, owner_department=owner, deadline=deadline, task_id=task.task_id,
                                         recorded_by=recorded_by)
    return [decision, task]


def adjourn(meeting: Meeting | None, meeting_id: str, open_task_ids: list[str], *, carry_over_at: datetime | None,
            coordinator: str, ctx: Context) -> tuple[d.MeetingAdjourned, d.MeetingConvened | None]:
    """Adjourn; with open tasks and a date for the next meeting, those tasks carry over to it. The follow-up is
    the same street office's meeting (unknown if this one's was), convened by the coordinator adjourning."""
    meeting = require_open(meeting, meeting_id)
    follow_up = None
    if open_task_ids and carry_over_at is not None:
        follow_up = _convened(meeting.street_office, coordinator, list(meeting.participants), list(meeting.case_ids),
                              carry_over_at, ctx, carried_over_from=meeting_id)
    adjourned = d.MeetingAdjourned(meeting_id=meeting_id, open_task_ids=open_task_ids,
                                   carried_over_to=follow_up.meeting_id if follow_up else None,
                                   adjourned_by=coordinator)
    return adjourned, follow_up
