"""Idempotency-Key store contract, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from jiesu_shared.store import Database
from jiesu_shared.store.idempotency import (
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    recall,
    remember,
    request_fingerprint,
)


def test_a_repeated_request_recalls_the_first_response(database: Database) -> None:
    fp = request_fingerprint("POST", "/tasks/t1/accept", {"note": "on our way"})
    with database.transaction() as s:
        assert recall(s, scope="housing", key="k1", fingerprint=fp) is None
        remember(s, scope="housing", key="k1", fingerprint=fp, status_code=200, body={"status": "accepted"})
    with database.transaction() as s:
        remembered = recall(s, scope="housing", key="k1", fingerprint=fp)
    assert remembered is not None and (remembered.status_code, remembered.body) == (200, {"status": "accepted"})


def test_the_same_key_for_a_different_request_is_refused(database: Database) -> None:
    first = request_fingerprint("POST", "/cases", {"text": "a"})
    with database.transaction() as s:
        remember(s, scope="client", key="k", fingerprint=first, status_code=201, body={})
    with pytest.raises(IdempotencyKeyReused), database.transaction() as s:
        recall(s, scope="client", key="k", fingerprint=request_fingerprint("POST", "/cases", {"text": "b"}))


def test_keys_are_separate_per_scope_and_a_concurrent_twin_cannot_commit(database: Database) -> None:
    fp = request_fingerprint("POST", "/x", {})
    with database.transaction() as s:
        remember(s, scope="housing", key="k", fingerprint=fp, status_code=200, body={})
    with database.transaction() as s:
        assert recall(s, scope="fire-safety", key="k", fingerprint=fp) is None  # another caller's key space
    with pytest.raises(IdempotencyKeyInFlight), database.transaction() as s:
        remember(s, scope="housing", key="k", fingerprint=fp, status_code=200, body={})
