"""Events as the services would write them: stable ids, causation chains, and per-stream sequences
numbered in the order the events reach the log."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from jiesu_shared.catalogue import type_name_of
from jiesu_shared.events import Envelope


@dataclass(frozen=True)
class Draft:
    """An event whose id and causes are fixed, waiting for its place (and so its sequence) in the log."""

    id: str
    case_id: str
    service: str
    stream: str
    type: str
    data: dict[str, Any]
    time: datetime
    correlationid: str
    causationid: str | None


class LogBook:
    """Makes ids from the seeded generator, so the same seed writes the same log."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._heads: dict[str, dict[tuple[str, str], int]] = {}  # case -> (service, stream) -> head

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def draft(self, *, case_id: str, service: str, stream: str, payload: BaseModel, time: datetime,
              cause: Draft | None, along_with: Draft | None = None) -> Draft:
        """`along_with`: an uncaused event appended in one go after that one (the store gives it the first's
        correlation, no cause), as intake appends a request's link to a duplicate after its receipt."""
        event_id = self.new_id()
        first = cause or along_with
        return Draft(id=event_id, case_id=case_id, service=service, stream=stream, type=type_name_of(payload),
                     data=payload.model_dump(mode="json"), time=time,
                     correlationid=first.correlationid if first else event_id,
                     causationid=cause.id if cause else None)

    def publish(self, draft: Draft) -> Envelope:
        heads = self._heads.setdefault(draft.case_id, {})
        key = (draft.service, draft.stream)
        heads[key] = heads.get(key, 0) + 1
        return Envelope(id=draft.id, source=f"/jiesu/{draft.service}", type=draft.type, subject=draft.case_id,
                        time=draft.time, sequence=heads[key], correlationid=draft.correlationid,
                        causationid=draft.causationid, data=draft.data)

    def close_case(self, case_id: str) -> None:
        """The case's last event is out: forget its stream heads, so memory stays bounded."""
        self._heads.pop(case_id, None)
