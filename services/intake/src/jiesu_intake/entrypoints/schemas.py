"""The native API's request and response bodies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.catalogue.common import (Channel, Outcome, Place, RequestType, Satisfaction, UnresolvableReason,
                                           Urgency)

CATEGORY = r"^[a-z_]{1,64}$"


class ContactIn(BaseModel):
    """The citizen's own details: sealed with their key before anything is written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 -]{5,20}$")
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=4000, description="the citizen's request, in their words")
    channel: Channel = "hotline"
    category: str | None = Field(default=None, pattern=CATEGORY, description="subject code, if known")
    request_type: RequestType | None = Field(default=None,
                                             description="咨询 求助 投诉 举报 建议 表扬; by the rules if absent")
    urgency: Urgency | None = Field(default=None, description="by the rules if absent")
    place: Place = Field(description="address, latitude and longitude are sealed with the citizen's key; "
                                     "the log keeps district, street, community and grid")
    contact: ContactIn | None = None


class CitizenLookup(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 -]{5,20}$")
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")


class ContactOut(BaseModel):
    citizen_id: str
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None


class CaseRead(BaseModel):
    case_id: str
    status: str
    category: str
    channel: str | None = None
    request_type: str | None = None
    urgency: str | None = None
    text: str | None = Field(default=None, description="personal data replaced, unless you may see it")
    place: Place | None = Field(default=None, description="the exact address and point only for the contact role")
    received_at: datetime | None = None
    duplicate_of: str | None = None
    lead_department: str | None = None
    resolution: str | None = None
    outcome: str | None = None
    satisfaction: str | None = None
    reopen_count: int = 0
    citizen_id: str | None = Field(default=None,
                                   description="the citizen's pseudonym; for operators who may see contacts")
    contact: ContactOut | None = Field(default=None, description="only for operators with the contact role")
    contact_erased: bool = False


class Reclassify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(pattern=CATEGORY)
    request_type: RequestType | None = None
    urgency: Urgency = "normal"
    reason: str = Field(min_length=1, max_length=500)


class CallbackIn(BaseModel):
    """The citizen's verdict at call-back (回访)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    unresolvable_reason: UnresolvableReason | None = None
    satisfaction: Satisfaction


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class QueueEntry(BaseModel):
    case_id: str
    category: str
    lead_department: str | None
    resolution: str | None
    handled_at: datetime | None
    reopen_count: int


class DisclosureIn(BaseModel):
    """The agency gateway asks on behalf of a department that holds a live task on the case."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department: str = Field(min_length=1, max_length=64)
    task_id: str = Field(min_length=1, max_length=64)
    purpose: Literal["webhook", "task_api"]


class DisclosedContact(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class DisclosureOut(BaseModel):
    """What a department may know to do its task; never the ID number."""

    case_id: str
    text: str = Field(description="the citizen's own words, placeholders restored")
    address: str | None = None
    address_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact: DisclosedContact | None = None


class DisclosureRecord(BaseModel):
    case_id: str
    disclosed_at: datetime
    principal_id: str = Field(description="who asked: the operator, or the service calling for a department")
    department: str | None = Field(default=None, description="the department that received it, if one did")
    purpose: str
    task_id: str | None = None
    fields: list[str] = Field(description="the non-empty personal fields disclosed")
