"""Idempotency-Key storage: a retried request returns the first answer, never a second event.

The remembered answer is written in the same transaction as the events the request appended, so
"events appended" and "answer remembered" cannot disagree. Reusing a key for a different request
is an error (IETF draft-ietf-httpapi-idempotency-key-header: 422), and two concurrent requests
with one key let only the first commit (the second gets 409 and may retry). SQLAlchemy Core, one
statement per batch: the message bus (jiesu_shared.messagebus) recalls and remembers a whole batch at once.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Text, insert, select, text
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


_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE)
_RECALL = select(_TABLE.c.key, _TABLE.c.fingerprint, _TABLE.c.status_code, _TABLE.c.body)


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


class IdempotencyKeyInFlight(Exception):
    """Another request with the same key committed first; retry to get its result."""


@dataclass(frozen=True)
class IdempotencyKey:
    """A request's Idempotency-Key in its caller's key space, and what the request was (its fingerprint)."""

    scope: str
    key: str
    fingerprint: str

    @property
    def slot(self) -> tuple[str, str]:
        return self.scope, self.key


@dataclass(frozen=True)
class RememberedResponse:
    status_code: int
    body: Any
    fingerprint: str = ""  # of the request first answered (when recalled)

    def answers(self, key: IdempotencyKey) -> bool:
        """True when `key` asks again what was answered; IdempotencyKeyReused when it asks something else."""
        if self.fingerprint != key.fingerprint:
            raise IdempotencyKeyReused(key.key)
        return True


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps({"m": method.upper(), "p": path, "b": body}, sort_keys=True, ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_HOLD = text("SELECT pg_advisory_xact_lock(hashtextextended(:slot, 0))")


def hold(session: Session, key: IdempotencyKey) -> None:
    """Wait for a twin request with the same key to finish first, so this one recalls the twin's answer
    instead of deciding again on the state the twin left. A transaction-scoped advisory lock on PostgreSQL;
    SQLite has one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_HOLD, {"slot": f"{key.scope}\x1f{key.key}"})


def recall_many(session: Session, keys: Collection[IdempotencyKey]) -> dict[tuple[str, str], RememberedResponse]:
    """The answers remembered under any of `keys`, by (scope, key): one query per scope (a batch has one or
    two). Whether each answers its key's request is for the caller to ask (`RememberedResponse.answers`)."""
    by_scope: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_scope[key.scope].append(key.key)
    found: dict[tuple[str, str], RememberedResponse] = {}
    for scope, scoped in by_scope.items():
        rows = session.connection().execute(_RECALL.where(_TABLE.c.scope == scope, _TABLE.c.key.in_(scoped)))
        for key, fingerprint, status_code, body in rows:
            found[(scope, key)] = RememberedResponse(status_code, json.loads(body), fingerprint)
    return found


def remember_many(session: Session, answers: Sequence[tuple[IdempotencyKey, RememberedResponse]]) -> None:
    """Remember each answer under its key, in one statement; IdempotencyKeyInFlight if a key was taken meanwhile."""
    if not answers:
        return
    now = datetime.now(UTC)
    rows = [{"scope": k.scope, "key": k.key, "fingerprint": k.fingerprint, "status_code": a.status_code,
             "body": json.dumps(a.body, ensure_ascii=False, default=str), "created_at": now} for k, a in answers]
    session.flush()  # the caller's pending ORM rows first, in the order they were made
    try:
        session.connection().execute(_INSERT, rows)
    except IntegrityError as exc:
        raise IdempotencyKeyInFlight(answers[0][0].key) from exc


def recall(session: Session, *, scope: str, key: str, fingerprint: str) -> RememberedResponse | None:
    """One key's remembered answer (see recall_many); IdempotencyKeyReused for a different request."""
    asked = IdempotencyKey(scope, key, fingerprint)
    found = recall_many(session, [asked]).get(asked.slot)
    return found if found is None or found.answers(asked) else None


def remember(session: Session, *, scope: str, key: str, fingerprint: str, status_code: int, body: Any) -> None:
    """Remember one answer (see remember_many)."""
    remember_many(session, [(IdempotencyKey(scope, key, fingerprint), RememberedResponse(status_code, body))])
