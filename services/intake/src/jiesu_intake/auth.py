"""Operators: a bearer token from the settings, and the roles it grants."""
from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from jiesu_shared.http.problems import Problem

from jiesu_intake.config import IntakeSettings, Operator


def authenticate(settings: IntakeSettings, authorization: str | None) -> Operator:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for operator in settings.operators:
            if hmac.compare_digest(operator.token.get_secret_value().encode(), token.encode()):
                return operator
    raise Problem(401, "unauthorized", "An operator's credential is required",
                  "Send Authorization: Bearer <operator token>.", headers={"WWW-Authenticate": "Bearer"})


def operator_with(role: str) -> Callable[[Request], Operator]:
    def dependency(request: Request) -> Operator:
        operator = authenticate(request.app.state.kernel.settings, request.headers.get("authorization"))
        if role not in operator.roles:
            raise Problem(403, "forbidden", "Not allowed", f"operator {operator.id} lacks the role {role!r}")
        return operator

    return dependency


def optional_operator(request: Request) -> Operator | None:
    if not request.headers.get("authorization"):
        return None
    return authenticate(request.app.state.kernel.settings, request.headers.get("authorization"))
