"""Who may use the gateway's routes: the one place its access rules live. A department signs in with
its own API key and sees only its own tasks and deliveries; administration needs a staff principal with
the admin role (the admin token, or an admin's token from the city's identity provider)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jiesu_shared.access import ADMIN, requires
from jiesu_shared.http.problems import Problem

from jiesu_gateway.adapters.tables import Department

_department_bearer = HTTPBearer(auto_error=False, scheme_name="DepartmentApiKey",
                                description="the department's API key (jsk_…), issued at registration")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Missing or invalid credentials", detail, headers=_CHALLENGE)


def current_department(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_department_bearer)]) -> Department:
    if credentials is None:
        raise _unauthorized("send the department's API key as 'Authorization: Bearer <key>'")
    department = request.app.state.service.departments.by_api_key(credentials.credentials)
    if department is None:
        raise _unauthorized("the API key is not valid")
    return department


CurrentDepartment = Annotated[Department, Depends(current_department)]
AdminOnly = requires(ADMIN)
