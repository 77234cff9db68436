"""Who is calling: a department (by its API key) or an administrator (by the admin token)."""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jiesu_shared.http.problems import Problem

from jiesu_gateway.adapters.tables import Department

_department_bearer = HTTPBearer(auto_error=False, scheme_name="DepartmentApiKey",
                                description="the department's API key (jsk_…), issued at registration")
_admin_bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken",
                           description="the deployment's administration token (JIESU_ADMIN_TOKEN)")
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


def require_admin(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)]) -> None:
    token = request.app.state.kernel.settings.admin_token
    if token is None or credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), token.get_secret_value().encode()):
        raise _unauthorized("administration needs the admin token")


CurrentDepartment = Annotated[Department, Depends(current_department)]
AdminOnly = Depends(require_admin)
