"""A batch of commands in one transaction, one commit (and fsync) for all: each command's Idempotency-Key
is recalled in one query and its answer remembered in one statement. Within the batch a key already
answered by an earlier command of the same batch is a replay of that answer, as if it had committed."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jiesu_shared.messagebus.answer import Answer, as_answer
from jiesu_shared.messagebus.tables import BatchHandler
from jiesu_shared.store.database import Database
from jiesu_shared.store.idempotency import IdempotencyKey, IdempotencyKeyReused, RememberedResponse, recall_many, remember_many


def handle(database: Database, handler: BatchHandler, commands: Sequence[Any],
           keys: Sequence[IdempotencyKey | None], status_code: int) -> list[Answer | Exception]:
    outcomes: list[Any] = [None] * len(commands)
    with database.transaction() as session:
        known = recall_many(session, [k for k in keys if k is not None])
        fresh: list[int] = []
        first: dict[tuple[str, str], int] = {}  # a key's first command in this batch
        for n, key in enumerate(keys):
            if key is None:
                fresh.append(n)
            elif (remembered := known.get(key.slot)) is not None:
                outcomes[n] = _replay(key, remembered)
            elif key.slot not in first:
                first[key.slot] = n
                fresh.append(n)
        results = list(handler(session, [commands[n] for n in fresh]))
        if len(results) != len(fresh):  # a bug in the handler: fail the batch rather than guess
            raise RuntimeError(f"{len(results)} outcomes for {len(fresh)} commands")
        for n, result in zip(fresh, results, strict=True):
            outcomes[n] = as_answer(result, status_code)
        for n, key in enumerate(keys):
            if outcomes[n] is None and key is not None:  # the same key again within the batch
                outcomes[n] = _again(key, keys[first[key.slot]], outcomes[first[key.slot]])
        remember_many(session, [(keys[n], RememberedResponse(outcomes[n].status_code, outcomes[n].body))
                                for n in fresh if keys[n] is not None and isinstance(outcomes[n], Answer)])
    return outcomes


def _replay(key: IdempotencyKey, remembered: RememberedResponse) -> Answer | Exception:
    try:
        remembered.answers(key)
    except IdempotencyKeyReused as exc:  # this command's alone: the rest of the batch goes on
        return exc
    return Answer(remembered.body, remembered.status_code, replayed=True)


def _again(key: IdempotencyKey, first_key: IdempotencyKey | None, first: Any) -> Answer | Exception:
    if not isinstance(first, Answer):
        return first  # the first one failed: so does its twin
    return _replay(key, RememberedResponse(first.status_code, first.body, first_key.fingerprint if first_key else ""))
