"""A citizen's request (诉求) becoming a case."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jiesu_shared.catalogue.common import Channel, Place
from jiesu_shared.catalogue.intake import CaseReceived

UNCLASSIFIED = "unclassified"


class CaseAlreadyExists(Exception):
    pass


@dataclass(frozen=True)
class ReceiveCase:
    case_id: str
    channel: Channel
    text: str
    category: str | None
    place: Place
    received_at: datetime


@dataclass(frozen=True)
class CaseState:
    case_id: str
    status: str
    category: str


def decide_receive(command: ReceiveCase, state: CaseState | None) -> list[CaseReceived]:
    if state is not None:
        raise CaseAlreadyExists(command.case_id)
    return [CaseReceived(
        case_id=command.case_id, channel=command.channel, text=command.text.strip(),
        category=command.category or UNCLASSIFIED, place=command.place, received_at=command.received_at,
    )]


def evolve(state: CaseState | None, event: object) -> CaseState | None:
    if isinstance(event, CaseReceived):
        return CaseState(case_id=event.case_id, status="received", category=event.category)
    return state
