"""What the reference department needs of a verified webhook before acting on it.

A correctly signed body can still be malformed (a JSON list, `data: null`, a task without its id): it is
refused with a problem+json 4xx naming the fields, never the values, instead of failing mid-handling.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ACTED_ON = {"task.offered", "task.cancelled"}  # the types whose data must name a task


class WebhookMessage(BaseModel):
    type: str = Field(min_length=1)
    data: dict[str, Any]


class TaskReference(BaseModel):
    model_config = ConfigDict(extra="allow")

    task_id: str = Field(min_length=1)


class MalformedMessage(Exception):
    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(status)
        self.status, self.errors = status, errors


def parse_message(body: bytes) -> WebhookMessage:
    message = _validated(WebhookMessage.model_validate_json, body, at=[])
    if message.type in ACTED_ON:
        _validated(TaskReference.model_validate, message.data, at=["data"])
    return message


def _validated(validate: Callable[[Any], Any], value: Any, at: list[str]) -> Any:
    try:
        return validate(value)
    except ValidationError as exc:
        errors = [{"loc": [*at, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors(include_input=False, include_url=False)]
        raise MalformedMessage(400 if any(e["type"] == "json_invalid" for e in errors) else 422, errors) from None


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """An RFC 9457 problem document."""
    content: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        content["errors"] = errors
    return JSONResponse(content, status_code=status, media_type="application/problem+json")
