"""Dispatch's command handlers (COMMAND_HANDLERS): coordinators', administrators' and the SLA clock's commands.
Each loads what it decides on, decides, commits, and returns its answer's document, all in the message bus's
transaction: the bus remembers the answer under the Idempotency-Key and retries on a concurrent writer."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from sqlmodel import Session

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.messagebus import MessageBus
from jiesu_shared.store import Database
from jiesu_shared.store.event_store import Cause

from jiesu_dispatch import views
from jiesu_dispatch.adapters import ledger, meeting_list
from jiesu_dispatch.adapters.directory import DIRECTORY
from jiesu_dispatch.domain import commands, meeting
from jiesu_dispatch.domain.commands import CommandRejected
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.timers import fire
from jiesu_dispatch.handlers import Dispatcher, case_stream, event_handlers, meeting_stream
from jiesu_dispatch.messages import (AdjournMeeting, BlowWhistle, ConveneMeeting, DispatchByHand, FireTimer,
                                     PublishRules, RecordDecision, RegisterDepartment, ReleaseTask)


def _cause(dispatcher: Dispatcher, session: Session, stream_id: str) -> Cause:
    """A command continues the stream's correlation (the case's whole story is one correlation)."""
    first = dispatcher.store.first(session, stream_id)
    command_id = str(uuid.uuid4())
    return Cause(id=command_id, correlationid=first.correlationid if first else command_id)


def _on_case(dispatcher: Dispatcher, session: Session, case_id: str,
             decide: Callable[[Any, Any], list]) -> tuple[Any, list]:
    case = ledger.load_case(session, case_id)
    events = decide(case.state, dispatcher.context(session))
    dispatcher.commit_case(session, case, events, cause=_cause(dispatcher, session, case_stream(case_id)))
    return case, events


def dispatch_by_hand(dispatcher: Dispatcher, session: Session, command: DispatchByHand) -> Any:
    case, _ = _on_case(dispatcher, session, command.case_id,
                       lambda state, ctx: commands.assign(state, command.case_id, command.assign, ctx))
    return views.case_read(case.state).model_dump(mode="json")


def blow_whistle(dispatcher: Dispatcher, session: Session, command: BlowWhistle) -> Any:
    _, events = _on_case(dispatcher, session, command.case_id,
                         lambda state, ctx: commands.blow_whistle(state, command.case_id, command.whistle, ctx))
    return views.whistle_read(events).model_dump(mode="json")


def release_task(dispatcher: Dispatcher, session: Session, command: ReleaseTask) -> Any:
    case, _ = _on_case(dispatcher, session, command.case_id, lambda state, ctx: commands.release(
        state, command.case_id, command.task_id, command.reason, command.coordinator, ctx))
    return views.case_read(case.state).model_dump(mode="json")


def _commit_meeting(dispatcher: Dispatcher, session: Session, event: d.MeetingConvened | d.MeetingAdjourned) -> None:
    stream = meeting_stream(event.meeting_id)
    dispatcher.commit(session, stream, event.meeting_id, [event], cause=_cause(dispatcher, session, stream))
    meeting_list.note(session, event)  # the meetings list's row, in the same transaction


def _meeting_answer(dispatcher: Dispatcher, session: Session, meeting_id: str) -> Any:
    found = views.meeting(session, meeting_id)
    assert found is not None
    return views.meeting_read(session, dispatcher, found).model_dump(mode="json")


def convene_meeting(dispatcher: Dispatcher, session: Session, command: ConveneMeeting) -> Any:
    ctx = dispatcher.context(session)
    for case_id in command.case_ids:
        commands.require_case(dispatcher.case(session, case_id), case_id)
    convened = meeting.convene(street_office=command.street_office, convened_by=command.convened_by,
                               participants=command.participants, case_ids=command.case_ids,
                               scheduled_at=command.scheduled_at, ctx=ctx)
    _commit_meeting(dispatcher, session, convened)
    return _meeting_answer(dispatcher, session, convened.meeting_id)


def record_decision(dispatcher: Dispatcher, session: Session, command: RecordDecision) -> Any:
    ctx = dispatcher.context(session)
    case = ledger.load_case(session, command.case_id)
    events = meeting.record_decision(views.meeting(session, command.meeting_id), command.meeting_id, case.state,
                                     case_id=command.case_id, text=command.text, owner=command.owner,
                                     deadline=command.deadline, recorded_by=command.recorded_by, ctx=ctx)
    dispatcher.commit_case(session, case, events, cause=_cause(dispatcher, session, case_stream(command.case_id)))
    decision = events[0]
    assert isinstance(decision, d.MeetingDecisionRecorded)
    ledger.extend(session, meeting_stream(command.meeting_id), [(decision, False)], ctx.now)  # the meeting's view
    read = views.meeting_read(session, dispatcher, views.meeting(session, command.meeting_id))  # type: ignore[arg-type]
    return next(r for r in read.decisions if r.decision_id == decision.decision_id).model_dump(mode="json")


def adjourn_meeting(dispatcher: Dispatcher, session: Session, command: AdjournMeeting) -> Any:
    current = views.meeting(session, command.meeting_id)
    open_ids = [r.task_id for r in views.meeting_read(session, dispatcher, current).decisions
                if r.task_status not in views.FINISHED] if current else []
    adjourned, follow_up = meeting.adjourn(current, command.meeting_id, open_ids, carry_over_at=command.carry_over_at,
                                           coordinator=command.coordinator, ctx=dispatcher.context(session))
    _commit_meeting(dispatcher, session, adjourned)
    if follow_up is not None:
        _commit_meeting(dispatcher, session, follow_up)
    return _meeting_answer(dispatcher, session, command.meeting_id)


def _commit_directory(dispatcher: Dispatcher, session: Session, event: Any) -> Any:
    dispatcher.commit(session, DIRECTORY, DIRECTORY, [event], cause=_cause(dispatcher, session, DIRECTORY))
    return event.model_dump(mode="json")


def register_department(dispatcher: Dispatcher, session: Session, command: RegisterDepartment) -> Any:
    event = d.DepartmentRegistered(**command.entry.model_dump(), registered_by=command.registered_by)
    return _commit_directory(dispatcher, session, event)


def publish_rules(dispatcher: Dispatcher, session: Session, command: PublishRules) -> Any:
    try:
        parsed = RoutingTable.from_dict(command.table)
    except ValueError as exc:
        raise CommandRejected("invalid", "invalid-routing-table", str(exc)) from exc
    known = frozenset(dispatcher.directory(session).departments) | dispatcher.routing.departments()
    commands.require_known(sorted(parsed.departments()), known)
    return _commit_directory(dispatcher, session, d.RoutingRulesPublished(
        version=parsed.version, table=command.table, published_by=command.published_by))


def fire_timer(dispatcher: Dispatcher, session: Session, command: FireTimer) -> bool:
    """Claim the timer (unless another instance or an earlier round did) and append what it produces, together."""
    timer = ledger.claim(session, command.timer_id, dispatcher.clock())
    if timer is None:
        return False
    case = ledger.load_case(session, timer.case_id)
    events = fire(case.state, timer)
    dispatcher.commit_case(session, case, events, cause=_offer_of(dispatcher, session, timer.case_id, timer.task_id))
    ledger.note_fired(session, command.timer_id, len(events))
    return True


def _offer_of(dispatcher: Dispatcher, session: Session, case_id: str, task_id: str) -> Cause | None:
    """The offer whose clock ran out is the cause of what the timer produced."""
    offered = TaskOffered.__event_type__  # type: ignore[attr-defined]
    for envelope in dispatcher.store.load(session, case_stream(case_id)):
        if envelope.type == offered and envelope.data.get("task_id") == task_id:
            return Cause(id=envelope.id, correlationid=envelope.correlationid, traceparent=envelope.traceparent)
    return None


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    DispatchByHand: dispatch_by_hand, BlowWhistle: blow_whistle, ReleaseTask: release_task,
    ConveneMeeting: convene_meeting, RecordDecision: record_decision, AdjournMeeting: adjourn_meeting,
    RegisterDepartment: register_department, PublishRules: publish_rules, FireTimer: fire_timer,
}


def command_handlers(dispatcher: Dispatcher) -> dict[type, Callable[[Session, Any], Any]]:
    """COMMAND_HANDLERS bound to the dispatcher they decide with (the bus calls them with a session and a command)."""
    return {kind: partial(handler, dispatcher) for kind, handler in COMMAND_HANDLERS.items()}


def message_bus(database: Database, dispatcher: Dispatcher, on_committed: Callable[[], None] = lambda: None) -> MessageBus:
    """Dispatch's one message path: its commands and the facts it consumes."""
    return MessageBus(database, commands=command_handlers(dispatcher), events=event_handlers(dispatcher),
                      on_committed=on_committed)


def minutes(value: float | None) -> timedelta | None:
    return timedelta(minutes=value) if value is not None else None
