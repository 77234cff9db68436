"""A decoded event for bulk reading — replays of millions — as a named tuple instead of a model.

It carries every attribute of `Envelope` and reads the same way (`event.type`, `event.data`, …), but
costs a fraction to build. Only the codec makes one, and only for a record whose attributes it has
checked exactly as `Envelope` would accept them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple


class EventView(NamedTuple):
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    sequence: int
    correlationid: str
    causationid: str | None
    traceparent: str | None
    data: dict[str, Any]

    @property
    def specversion(self) -> str:
        return "1.0"

    @property
    def datacontenttype(self) -> str:
        return "application/json"
