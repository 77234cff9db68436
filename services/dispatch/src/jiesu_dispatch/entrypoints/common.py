"""What every dispatch route shares: the service, who is calling, and refused commands as problem+json."""
from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from jiesu_shared.http.problems import Problem

from jiesu_dispatch.domain.commands import CommandRejected

T = TypeVar("T")
STATUS = {"not-found": 404, "conflict": 409, "invalid": 422}


def service_of(request: Request) -> Any:
    return request.app.state.service


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "unauthorized", "A bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def coordinator_of(request: Request) -> str:
    """The coordinator's id, recorded in the events they cause; the admin token counts as coordinator "admin"."""
    token = _bearer(request)
    settings = service_of(request).settings
    if settings.admin_token and hmac.compare_digest(token, settings.admin_token):
        return "admin"
    for coordinator, expected in settings.coordinator_tokens.items():
        if hmac.compare_digest(token, expected):
            return coordinator
    raise Problem(401, "unauthorized", "Unknown credentials", headers={"WWW-Authenticate": "Bearer"})


def admin_of(request: Request) -> str:
    token = _bearer(request)
    expected = service_of(request).settings.admin_token
    if not expected or not hmac.compare_digest(token, expected):
        raise Problem(401, "unauthorized", "The administration token is required", headers={"WWW-Authenticate": "Bearer"})
    return "admin"


Service = Annotated[Any, Depends(service_of)]
CoordinatorId = Annotated[str, Depends(coordinator_of)]
AdminId = Annotated[str, Depends(admin_of)]


@contextmanager
def refused_as_problem() -> Iterator[None]:
    try:
        yield
    except CommandRejected as exc:
        raise Problem(STATUS[exc.kind], exc.slug, _titles.get(exc.slug, "The command was refused"), exc.detail,
                      **exc.extensions) from exc


def run(command: Callable[[], T]) -> T:
    with refused_as_problem():
        return command()


_titles = {
    "case-not-found": "No such case", "case-closed": "The case is closed", "unknown-department": "Unknown department",
    "returned-before": "The department already returned this case", "not-escalated": "The case awaits no ruling",
    "meeting-not-found": "No such meeting", "meeting-adjourned": "The meeting is adjourned",
    "case-handled": "The case is already handled", "task-not-found": "No such task",
}
