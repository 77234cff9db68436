"""Idempotency-Key support: a retried request returns the first result, never a second event.

The remembered response is written in the same transaction as the events the request appended, so
"events appended" and "response remembered" cannot disagree. Reusing a key for a different request
is an error (IETF draft-ietf-httpapi-idempotency-key-header: 422), and two concurrent requests
with one key let only the first commit (the second gets 409 and may retry).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Text, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    scope: str = Field(primary_key=True, max_length=200)  # e.g. the caller: a department, an API client
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


class IdempotencyKeyInFlight(Exception):
    """Another request with the same key committed first; retry to get its result."""


@dataclass(frozen=True)
class RememberedResponse:
    status_code: int
    body: Any


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps({"m": method.upper(), "p": path, "b": body}, sort_keys=True, ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def recall(session: Session, *, scope: str, key: str, fingerprint: str) -> RememberedResponse | None:
    record = session.get(IdempotencyRecord, (scope, key))
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    return RememberedResponse(record.status_code, json.loads(record.body))


def remember(session: Session, *, scope: str, key: str, fingerprint: str, status_code: int, body: Any) -> None:
    session.add(IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint, status_code=status_code,
                                  body=json.dumps(body, ensure_ascii=False, default=str),
                                  created_at=datetime.now(UTC)))
    try:
        session.flush()
    except IntegrityError as exc:
        raise IdempotencyKeyInFlight(key) from exc


@dataclass(frozen=True)
class Answer:
    """A response to remember under a key, for `remember_many`."""

    key: str
    fingerprint: str
    status_code: int
    body: Any


def recall_many(session: Session, *, scope: str, keys: Collection[str]) -> dict[str, tuple[str, RememberedResponse]]:
    """For a batch of requests: each known key's (fingerprint, response), in one query; compare the
    fingerprint as `recall` does (a different one means the key was reused: IdempotencyKeyReused)."""
    if not keys:
        return {}
    table = IdempotencyRecord.__table__
    rows = session.connection().execute(
        select(table.c.key, table.c.fingerprint, table.c.status_code, table.c.body)  # type: ignore[attr-defined]
        .where(table.c.scope == scope, table.c.key.in_(list(keys))))  # type: ignore[attr-defined]
    return {key: (fingerprint, RememberedResponse(status, json.loads(body))) for key, fingerprint, status, body in rows}


def remember_many(session: Session, *, scope: str, answers: Sequence[Answer]) -> None:
    """`remember` for a batch, in one statement; IdempotencyKeyInFlight if any key was taken meanwhile."""
    if not answers:
        return
    now = datetime.now(UTC)
    rows = [{"scope": scope, "key": a.key, "fingerprint": a.fingerprint, "status_code": a.status_code,
             "body": json.dumps(a.body, ensure_ascii=False, default=str), "created_at": now} for a in answers]
    try:
        session.flush()
        session.connection().execute(insert(IdempotencyRecord.__table__), rows)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise IdempotencyKeyInFlight(answers[0].key if len(answers) == 1 else "one of the batch's keys") from exc
