"""What a command answers: the document its caller gets back, remembered under the Idempotency-Key."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Answer:
    body: Any  # JSON-able: what a retry with the same Idempotency-Key gets back
    status_code: int = 200
    replayed: bool = False  # the first request's answer, recalled: nothing was decided this time
    result: Any = None  # what the handler handed back beyond the body, for this caller only (None on a replay)


def as_answer(outcome: Any, status_code: int) -> Any:
    """A handler's return value as an Answer with the caller's status; an exception stays one."""
    if isinstance(outcome, BaseException):
        return outcome
    answer = outcome if isinstance(outcome, Answer) else Answer(outcome)
    return replace(answer, status_code=status_code)
