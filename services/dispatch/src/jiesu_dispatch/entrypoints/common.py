"""What every dispatch route shares: the service, idempotent answers, and refused commands as problem+json."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jiesu_shared.http.problems import Problem
from jiesu_shared.messagebus.problems import bus_refusals_as_problems
from jiesu_shared.http.idempotency import idempotency_key_for

from jiesu_dispatch.domain.commands import CommandRejected

T = TypeVar("T")
STATUS = {"not-found": 404, "conflict": 409, "invalid": 422}


async def service_of(request: Request) -> Any:  # async: a plain function costs every request a thread hop
    return request.app.state.service


Service = Annotated[Any, Depends(service_of)]


@contextmanager
def refused_as_problem() -> Iterator[None]:
    try:
        yield
    except CommandRejected as exc:
        raise Problem(STATUS[exc.kind], exc.slug, _titles.get(exc.slug, "The command was refused"), exc.detail,
                      **exc.extensions) from exc


def run(command: Callable[[], T]) -> T:
    """Refusals, of the command or of the bus (a reused key, a concurrent twin), as problem+json."""
    with refused_as_problem(), bus_refusals_as_problems():
        return command()


def answer(request: Request, *, caller: str, key: str | None, body: BaseModel | None, command: Any,
           status_code: int = 200) -> JSONResponse:
    """Carry out a coordinator's command on the bus and answer it; the answer is remembered under the
    Idempotency-Key."""
    idempotency = idempotency_key_for(request, f"dispatch:{caller}", key, body)
    reply = run(lambda: request.app.state.service.bus.handle(command, key=idempotency, status_code=status_code))
    return JSONResponse(reply.body, status_code=reply.status_code)


_titles = {
    "case-not-found": "No such case", "case-closed": "The case is closed", "unknown-department": "Unknown department",
    "returned-before": "The department already returned this case", "not-escalated": "The case awaits no ruling",
    "meeting-not-found": "No such meeting", "meeting-adjourned": "The meeting is adjourned",
    "case-handled": "The case is already handled", "task-not-found": "No such task",
    "not-releasable": "Only an open supporting task can be released", "case-not-on-agenda": "The case is not on the agenda",
    "deadline-passed": "The deadline has passed", "invalid-routing-table": "The routing table is invalid",
}
