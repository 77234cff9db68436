"""Intake's service layer: load state, decide, append atomically (event store + outbox)."""
from __future__ import annotations

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.events import Envelope
from jiesu_shared.store import Database, EventStore

from jiesu_intake.domain.case import CaseState, ReceiveCase, decide_receive, evolve


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


def load_case(*, database: Database, store: EventStore, case_id: str) -> CaseState | None:
    with database.transaction() as session:
        state: CaseState | None = None
        for envelope in store.load(session, stream_of(case_id)):
            state = evolve(state, parse_payload(envelope.type, envelope.data))
        return state


def receive_case(*, database: Database, store: EventStore, command: ReceiveCase) -> Envelope:
    with database.transaction() as session:
        state = None  # a new case id: nothing to load
        events = decide_receive(command, state)
        (envelope,) = store.append(session, stream_id=stream_of(command.case_id), expected_version=0,
                                   subject=command.case_id, payloads=events)
        return envelope
