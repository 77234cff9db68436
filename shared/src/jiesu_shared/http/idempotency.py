"""The Idempotency-Key request header, as every service's write routes take it, and the key the message bus
remembers the answer under (see jiesu_shared.messagebus): the caller's key in the caller's own key space,
with what the request asked (the same key for another request is a 422)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Request
from pydantic import BaseModel

from jiesu_shared.store.idempotency import IdempotencyKey, request_fingerprint

IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="any unique string (a UUID): a retry with the same key returns the first answer, records nothing twice")]


def idempotency_key_for(request: Request, caller: str, header: str | None,
                        body: BaseModel | Any) -> IdempotencyKey | None:
    """None without a header. `caller` is the key space (e.g. "dispatch:<coordinator>"): one caller's keys
    never meet another's."""
    if header is None:
        return None
    asked = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return IdempotencyKey(caller, header, request_fingerprint(request.method, request.url.path, asked))
