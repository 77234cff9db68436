"""The commands dispatch's message bus carries: each names everything its handler needs (see coordination)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jiesu_shared.catalogue.dispatch import DirectoryEntry

from jiesu_dispatch.domain import commands


@dataclass(frozen=True)
class DispatchByHand:
    """Dispatch by hand, or rule on an escalated case (审定) when `assign.ruling`."""

    case_id: str
    assign: commands.Assign


@dataclass(frozen=True)
class BlowWhistle:
    case_id: str
    whistle: commands.BlowWhistle


@dataclass(frozen=True)
class ReleaseTask:
    case_id: str
    task_id: str
    reason: str
    coordinator: str


@dataclass(frozen=True)
class ConveneMeeting:
    street_office: str  # the convening unit, as the coordinator named it
    convened_by: str  # the coordinator
    participants: list[str]
    case_ids: list[str]
    scheduled_at: datetime


@dataclass(frozen=True)
class RecordDecision:
    meeting_id: str
    case_id: str
    text: str
    owner: str
    deadline: datetime
    recorded_by: str


@dataclass(frozen=True)
class AdjournMeeting:
    meeting_id: str
    carry_over_at: datetime | None
    coordinator: str


@dataclass(frozen=True)
class RegisterDepartment:
    entry: DirectoryEntry
    registered_by: str


@dataclass(frozen=True)
class PublishRules:
    table: dict[str, Any]
    published_by: str


@dataclass(frozen=True)
class FireTimer:
    """An SLA timer is due and its case's partition read past it (see timer_worker)."""

    timer_id: str
