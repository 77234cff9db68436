"""The webhooks a department receives, documented in the OpenAPI document (3.1 `webhooks`)."""
# No `from __future__ import annotations`: FastAPI must see the generated body models themselves.
from datetime import datetime

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field, create_model

from jiesu_shared.catalogue.dispatch import SlaWarning, TaskCancelled, TaskOffered

from jiesu_gateway.disclosure import PERSONAL_STATUS_DESCRIPTION, Personal, PersonalStatus
from jiesu_gateway.messages import CASE_UPDATES

HEADERS = """Signed per Standard Webhooks: `webhook-id` (the event id: deduplicate on it, deliveries are
at-least-once), `webhook-timestamp` (reject if far from now), `webhook-signature` (`v1,<base64 HMAC-SHA256
of "{id}.{timestamp}.{body}">`, several space-separated during a secret rotation: any one verifying is
enough). Answer 2xx quickly; anything else is retried (0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h, with
jitter, honouring `Retry-After`); 410 Gone disables the endpoint."""


class PersonalFields(BaseModel):
    """Added to every webhook's `data` when it is sent, never stored by the gateway."""

    personal: Personal | None = Field(description="the citizen's details while your task on the case is live, "
                                                  "fetched from intake as the webhook is sent; else null")
    personal_status: PersonalStatus = Field(description=PERSONAL_STATUS_DESCRIPTION)


class CaseUpdateData(PersonalFields):
    model_config = ConfigDict(extra="allow")  # the case event's own data


def _message(name: str, data: type[BaseModel] | None, what: str) -> type[BaseModel]:
    title = name.replace(".", "_").title().replace("_", "")
    data_model = create_model(f"{title}Data", __base__=(data, PersonalFields)) if data else CaseUpdateData
    return create_model(f"{title}Webhook", type=(str, Field(description=f"always `{name}`")),
                        timestamp=(datetime, ...), data=(data_model, Field(description=what)))


def document_webhooks(app: FastAPI) -> None:
    messages = [("task.offered", TaskOffered, "a task for you: accept or return before `decide_by`"),
                ("task.cancelled", TaskCancelled, "dispatch withdrew the task: stop working on it"),
                ("task.reminder", SlaWarning, "a deadline of your task (`clock`) is near"),
                *((name, None, "the case your task belongs to changed (the event's data)") for name in CASE_UPDATES)]
    for name, model, what in messages:
        body_model = _message(name, model, what)

        def receive(body: body_model, webhook_id: str = Header(alias="webhook-id"),  # type: ignore[valid-type]
                    webhook_timestamp: int = Header(alias="webhook-timestamp"),
                    webhook_signature: str = Header(alias="webhook-signature")) -> None:
            """Sent by the gateway to the department's webhook URL."""

        app.webhooks.post(name, summary=what, description=HEADERS, status_code=204,
                          operation_id=f"on_{name.replace('.', '_')}")(receive)
