"""Dispatch's service layer: react to events, decide, append atomically."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.store import EventStore

from jiesu_dispatch.domain.case import DispatchState, SlaPolicy, decide_dispatch, fold
from jiesu_dispatch.domain.routing import RoutingTable


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


def load_state(session: Session, store: EventStore, case_id: str) -> tuple[DispatchState | None, int]:
    envelopes = store.load(session, stream_of(case_id))
    state = fold(parse_payload(e.type, e.data) for e in envelopes)
    return state, (envelopes[-1].sequence if envelopes else 0)


@dataclass
class DispatchHandlers:
    store: EventStore
    routing: RoutingTable
    sla: SlaPolicy

    def on_case_received(self, session: Session, envelope: Envelope, payload: BaseModel | None) -> None:
        assert isinstance(payload, CaseReceived)
        state, version = load_state(session, self.store, payload.case_id)
        events = decide_dispatch(payload, state, routing=self.routing, sla=self.sla, now=utc_now(),
                                 new_task_id=lambda: str(uuid.uuid4()))
        if events:
            self.store.append(session, stream_id=stream_of(payload.case_id), expected_version=version,
                              subject=payload.case_id, payloads=events, cause=envelope)

    def handlers(self) -> dict:
        return {"case.received.v1": self.on_case_received}
