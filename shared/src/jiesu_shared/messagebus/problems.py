"""The bus's refusals as RFC 9457 problems, the same in every service's HTTP API."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from jiesu_shared.http.problems import Problem
from jiesu_shared.messagebus.retry import Busy
from jiesu_shared.store.idempotency import IdempotencyKeyInFlight, IdempotencyKeyReused


@contextmanager
def bus_refusals_as_problems() -> Iterator[None]:
    try:
        yield
    except IdempotencyKeyReused:
        raise Problem(422, "idempotency-key-reused", "Idempotency-Key already used",
                      "this Idempotency-Key was used for a different request; use a new key") from None
    except (IdempotencyKeyInFlight, Busy):
        raise Problem(409, "conflict", "A concurrent request got there first", "retry the request",
                      headers={"Retry-After": "1"}) from None
