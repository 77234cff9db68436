"""Events produced by intake."""
from __future__ import annotations

from datetime import datetime

from jiesu_shared.catalogue.common import Channel, Place
from jiesu_shared.catalogue.registry import Payload, event_type


@event_type("case.received.v1")
class CaseReceived(Payload):
    case_id: str
    channel: Channel
    text: str
    category: str
    place: Place
    received_at: datetime
