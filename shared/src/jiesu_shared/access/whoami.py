"""`GET /whoami`: who a staff token names and which roles it holds, so a front end (the console) can learn
them with the person's own credential instead of decoding tokens itself."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from jiesu_shared.access.guard import _CHALLENGE, _staff_bearer
from jiesu_shared.http.problems import Problem

router = APIRouter(tags=["operations"])


class WhoAmI(BaseModel):
    id: str
    roles: list[str]


@router.get("/whoami", response_model=WhoAmI, operation_id="whoAmI",
            summary="The caller's id and roles, for any valid staff token",
            responses={422: {"description": "The request is invalid (e.g. a NUL character in it)"}})
def whoami(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_staff_bearer)]) -> WhoAmI:
    # Any valid token, even one holding no role here: the answer is about the token, not a permission.
    principal = None if credentials is None else \
        request.app.state.kernel.authenticator.authenticate(credentials.credentials)
    if principal is None:
        raise Problem(401, "unauthorized", "Missing or invalid credentials", "send a valid staff token",
                      headers=_CHALLENGE)
    return WhoAmI(id=principal.id, roles=sorted(principal.roles))
