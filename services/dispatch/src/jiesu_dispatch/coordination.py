"""Coordinators' and administrators' commands: each loads its streams, decides and appends in one transaction
(retried when a concurrent writer moved the stream on), or changes nothing."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.store import Database
from jiesu_shared.store.event_store import Cause, ConcurrencyError
from jiesu_shared.store.idempotency import recall, remember

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.domain import commands, meeting
from jiesu_dispatch.domain.commands import CommandRejected
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.handlers import DIRECTORY, Dispatcher, case_stream, meeting_stream

T = TypeVar("T")


@dataclass
class Reply:
    """A command's HTTP answer, rendered in the command's own transaction and remembered there under its
    Idempotency-Key (when given): a retried request gets the first answer and appends nothing twice."""

    render: Callable[[Session, Any], Any]
    status_code: int = 200
    scope: str = ""
    key: str | None = None
    fingerprint: str = ""
    body: Any = None


@dataclass
class Coordination:
    database: Database
    dispatcher: Dispatcher
    reply: Reply | None = None

    def answering(self, reply: Reply) -> Coordination:
        return replace(self, reply=reply)

    def _run(self, work: Callable[[Session], T]) -> T | None:
        for attempt in range(3):
            try:
                with self.database.transaction() as session:
                    return self._answer(session, work)
            except ConcurrencyError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _answer(self, session: Session, work: Callable[[Session], T]) -> T | None:
        reply = self.reply
        if reply is not None and reply.key:
            remembered = recall(session, scope=reply.scope, key=reply.key, fingerprint=reply.fingerprint)
            if remembered is not None:
                reply.status_code, reply.body = remembered.status_code, remembered.body
                return None
        result = work(session)
        if reply is not None:
            reply.body = reply.render(session, result)
            if reply.key:
                remember(session, scope=reply.scope, key=reply.key, fingerprint=reply.fingerprint,
                         status_code=reply.status_code, body=reply.body)
        return result

    def _cause(self, session: Session, stream_id: str) -> Cause:
        """A command continues the stream's correlation (the case's whole story is one correlation)."""
        history = self.dispatcher.store.load(session, stream_id)
        command_id = str(uuid.uuid4())
        return Cause(id=command_id, correlationid=history[0].correlationid if history else command_id)

    def _on_case(self, case_id: str, decide: Callable[[Any, Any], list[BaseModel]]) -> list[BaseModel] | None:
        def work(session: Session) -> list[BaseModel]:
            events = decide(self.dispatcher.case(session, case_id), self.dispatcher.context(session))
            stream = case_stream(case_id)
            self.dispatcher.commit(session, stream, case_id, events, cause=self._cause(session, stream))
            return events

        return self._run(work)

    def assign(self, case_id: str, command: commands.Assign) -> list[BaseModel] | None:
        return self._on_case(case_id, lambda state, ctx: commands.assign(state, case_id, command, ctx))

    def whistle(self, case_id: str, command: commands.BlowWhistle) -> list[BaseModel] | None:
        return self._on_case(case_id, lambda state, ctx: commands.blow_whistle(state, case_id, command, ctx))

    def release(self, case_id: str, task_id: str, reason: str, coordinator: str) -> list[BaseModel] | None:
        return self._on_case(case_id, lambda state, ctx: commands.release(state, case_id, task_id, reason,
                                                                            coordinator, ctx))

    def meeting(self, session: Session, meeting_id: str) -> meeting.Meeting | None:
        return meeting.fold_meeting(ledger.load(session, meeting_stream(meeting_id)))

    def convene(self, *, convened_by: str, participants: list[str], case_ids: list[str],
                scheduled_at: datetime) -> d.MeetingConvened | None:
        def work(session: Session) -> d.MeetingConvened:
            ctx = self.dispatcher.context(session)
            for case_id in case_ids:
                commands.require_case(self.dispatcher.case(session, case_id), case_id)
            convened = meeting.convene(convened_by=convened_by, participants=participants, case_ids=case_ids,
                                       scheduled_at=scheduled_at, ctx=ctx)
            self._commit_meeting(session, convened.meeting_id, [convened])
            return convened

        return self._run(work)

    def _commit_meeting(self, session: Session, meeting_id: str, events: list[BaseModel]) -> None:
        stream = meeting_stream(meeting_id)
        self.dispatcher.commit(session, stream, meeting_id, events, cause=self._cause(session, stream))

    def record_decision(self, meeting_id: str, *, case_id: str, text: str, owner: str,
                        deadline: datetime, recorded_by: str) -> d.MeetingDecisionRecorded | None:
        def work(session: Session) -> d.MeetingDecisionRecorded:
            ctx = self.dispatcher.context(session)
            events = meeting.record_decision(self.meeting(session, meeting_id), meeting_id,
                                             self.dispatcher.case(session, case_id), case_id=case_id, text=text,
                                             owner=owner, deadline=deadline, recorded_by=recorded_by, ctx=ctx)
            stream = case_stream(case_id)
            self.dispatcher.commit(session, stream, case_id, events, cause=self._cause(session, stream))
            decision = events[0]
            ledger.extend(session, meeting_stream(meeting_id), [(decision, False)], ctx.now)  # the meeting's view
            assert isinstance(decision, d.MeetingDecisionRecorded)
            return decision

        return self._run(work)

    def adjourn(self, meeting_id: str, *, carry_over_at: datetime | None, coordinator: str,
                open_task_ids: Callable[[Session, meeting.Meeting], list[str]]) -> d.MeetingAdjourned | None:
        def work(session: Session) -> d.MeetingAdjourned:
            current = self.meeting(session, meeting_id)
            open_ids = open_task_ids(session, current) if current else []
            adjourned, follow_up = meeting.adjourn(current, meeting_id, open_ids, carry_over_at=carry_over_at,
                                                   coordinator=coordinator, ctx=self.dispatcher.context(session))
            self._commit_meeting(session, meeting_id, [adjourned])
            if follow_up is not None:
                self._commit_meeting(session, follow_up.meeting_id, [follow_up])
            return adjourned

        return self._run(work)

    def register_department(self, entry: d.DirectoryEntry, registered_by: str) -> d.DepartmentRegistered:
        event = d.DepartmentRegistered(**entry.model_dump(), registered_by=registered_by)
        self._run(lambda session: self._commit_directory(session, event))
        return event

    def publish_rules(self, table: dict, published_by: str) -> d.RoutingRulesPublished | None:
        try:
            parsed = RoutingTable.from_dict(table)
        except ValueError as exc:
            raise CommandRejected("invalid", "invalid-routing-table", str(exc)) from exc

        def work(session: Session) -> d.RoutingRulesPublished:
            directory = self.dispatcher.directory(session)
            known = frozenset(directory.departments) | self.dispatcher.routing.departments()
            commands.require_known(sorted(parsed.departments()), known)
            event = d.RoutingRulesPublished(version=parsed.version, table=table, published_by=published_by)
            self._commit_directory(session, event)
            return event

        return self._run(work)

    def _commit_directory(self, session: Session, event: BaseModel) -> None:
        self.dispatcher.commit(session, DIRECTORY, DIRECTORY, [event], cause=self._cause(session, DIRECTORY))


def minutes(value: float | None) -> timedelta | None:
    return timedelta(minutes=value) if value is not None else None
