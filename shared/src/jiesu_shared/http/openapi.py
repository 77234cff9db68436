"""Every service's OpenAPI document tells the truth about errors: each error answer is
application/problem+json (FastAPI declares its 422 as application/json), a secured operation declares
its 401 (and 403 where it names roles), and an operation with a body its 413."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from jiesu_shared.http.problems import PROBLEM_JSON

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDocument"}
_PROBLEM_SCHEMA = {
    "title": "ProblemDocument", "type": "object", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"], "additionalProperties": True,
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "instance": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"},
                              "description": "on 422: each invalid field, where and why"}},
}
_DESCRIBED = {401: "Missing or invalid credentials", 403: "The caller may not do this",
              413: "The request body is too large", 422: "The request is invalid"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def _fix_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    security = operation.get("security") or []
    wanted = [401] if security else []
    wanted += [403] if any(roles for requirement in security for roles in requirement.values()) else []
    wanted += [413, 422] if "requestBody" in operation else []
    for status in wanted:
        responses.setdefault(str(status), _problem(_DESCRIBED[status]))


def install_problem_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                   webhooks=app.webhooks.routes, description=app.description)
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    _fix_operation(operation)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.setdefault("ProblemDocument", _PROBLEM_SCHEMA)
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
