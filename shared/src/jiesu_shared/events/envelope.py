"""The CloudEvents 1.0 envelope every Jiesu event travels in.

Extensions (lower-case alphanumeric, as CloudEvents requires): `sequence` (the event's version in
its producer's stream), `correlationid` (the first event of the chain), `causationid` (the event that
caused this one) and `traceparent` (W3C trace context, so one trace follows a case across services).
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


TYPE_PATTERN = r"^[a-z_]+(\.[a-z_]+)+\.v[0-9]+$"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return str(uuid.uuid4())


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    source: str = Field(min_length=1, description="URI-reference of the producing service, e.g. /jiesu/intake")
    type: str = Field(pattern=TYPE_PATTERN, description="e.g. case.received.v1")
    subject: str = Field(min_length=1, description="the case id: also the Kafka record key")
    time: datetime
    specversion: Literal["1.0"] = "1.0"
    datacontenttype: Literal["application/json"] = "application/json"
    sequence: int = Field(ge=1)
    correlationid: str
    causationid: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _must_be_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset")
        return value.astimezone(UTC)

    @classmethod
    def from_checked(cls, fields: dict[str, Any]) -> Envelope:
        """An envelope from every field, already checked as valid by the caller (the codec's fast path):
        what `model_construct` does, without its per-field bookkeeping."""
        envelope = cls.__new__(cls)
        object.__setattr__(envelope, "__dict__", fields)
        object.__setattr__(envelope, "__pydantic_fields_set__", set(fields))
        object.__setattr__(envelope, "__pydantic_extra__", None)
        object.__setattr__(envelope, "__pydantic_private__", None)
        return envelope
