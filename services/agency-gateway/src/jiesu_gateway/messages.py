"""What the gateway sends departments: Standard Webhooks payloads `{type, timestamp, data}`."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import intake as i

# Case events a department hears about once it has a task on the case (it is party to it), by catalogue class.
CASE_UPDATE_EVENTS: tuple[type[BaseModel], ...] = (
    i.CaseReclassified, i.CaseLinkedAsDuplicate, d.CaseRerouted, d.CaseEscalated, d.CaseHandled, i.CaseWithdrawn,
    i.CaseReopened, i.CallbackRecorded, i.CaseClosed)


def unversioned(event_type: str) -> str:
    """`task.offered.v1` -> `task.offered`: the webhook type names the kind of message, not its schema version."""
    head, _, tail = event_type.rpartition(".")
    return head if tail.startswith("v") and tail[1:].isdigit() else event_type


CASE_UPDATES = tuple(unversioned(model.__event_type__) for model in CASE_UPDATE_EVENTS)  # type: ignore[attr-defined]
WEBHOOK_TYPES = ("task.offered", "task.cancelled", "task.reminder", *CASE_UPDATES)


def webhook_body(webhook_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    return json.dumps({"type": webhook_type, "timestamp": timestamp.isoformat(), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def with_personal(body: str, personal: dict[str, Any]) -> str:
    """The stored body with `personal` and `personal_status` added to its data: built at each attempt and
    sent (and signed) as is, never stored."""
    if body.endswith("}}") and '"personal' not in body:
        # webhook_body writes `data` last, so a body ending in "}}" ends with its data object: the fields go at its
        # end as text, the same bytes as decoding and encoding it again gives, at a fraction of the cost
        head = body[:-2]
        fields = json.dumps(personal, ensure_ascii=False, separators=(",", ":"))[1:-1]
        return f"{head}{'' if head.endswith('{') else ','}{fields}}}}}"
    message = json.loads(body)
    if not isinstance(message.get("data"), dict):
        return body
    message["data"].update(personal)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
