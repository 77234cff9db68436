"""Walking a service's OpenAPI document: which operations it declares with which security, and each
path template filled with real ids."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx

from jiesu_shared.access import STAFF_ROLES
from tests.support.access_matrix import DEPARTMENT, Operation, Rule

METHODS = ("get", "post", "put", "patch", "delete")
OPEN = "open"  # declares no security: PUBLIC, or a route with its own credential in the body (Open311)


def declared_rule(operation: dict) -> Rule:
    """What an operation's `security` says: the StaffToken roles, DEPARTMENT, or OPEN."""
    security = operation.get("security") or []
    if not security:
        return OPEN
    assert len(security) == 1, f"one requirement expected, got {security}"
    (scheme, roles), = security[0].items()
    if scheme == "DepartmentApiKey":
        return DEPARTMENT
    assert scheme == "StaffToken", f"unknown scheme {scheme}"
    return tuple(sorted(roles or STAFF_ROLES))  # no role named: any valid staff token


def _operations(base_url: str) -> Iterator[tuple[str, str, dict]]:
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def documented(service: str, base_url: str) -> dict[Operation, Rule]:
    """Each operation of the service's OpenAPI document and the security it declares."""
    return {(service, method, path): declared_rule(operation) for method, path, operation in _operations(base_url)}


def required_query(service: str, base_url: str) -> dict[Operation, list[str]]:
    """The query parameters each operation requires, by name."""
    return {(service, method, path): [p["name"] for p in operation.get("parameters", [])
                                      if p["in"] == "query" and p.get("required")]
            for method, path, operation in _operations(base_url)}


def comparable(rule: Rule) -> Rule:
    """The matrix's rule as a document would declare it."""
    if rule == DEPARTMENT:
        return DEPARTMENT
    if isinstance(rule, str):
        return OPEN
    return tuple(sorted(rule))


@dataclass(frozen=True)
class RealIds:
    case_id: str
    task_id: str
    department_id: str
    meeting_id: str
    citizen_id: str
    service_code: str
    month: str  # for the figures of a month, e.g. 2026-12
    place: str  # the case's, as audit's recurring problems name one: district/street

    def by_collection(self) -> dict[str, str]:
        """The id to put after each collection's name in a path."""
        return {"cases": self.case_id, "requests": self.case_id, "tasks": self.task_id,
                "departments": self.department_id, "meetings": self.meeting_id, "citizens": self.citizen_id,
                "services": self.service_code}


def fill(path: str, ids: RealIds, query: Sequence[str] = ()) -> str:
    """`/cases/{case_id}/tasks/{task_id}/release` → the real ids; `{fmt}` → json; the required query
    parameters added. The name of the
    collection before a parameter says which id it is, so a parameter's own name does not matter."""
    segments = path.split("/")
    for index, segment in enumerate(segments):
        segment = segment.replace("{fmt}", "json")
        if "{" in segment:
            collection = segments[index - 1]
            value = ids.by_collection().get(collection)
            assert value is not None, f"no real id known for a parameter after /{collection}/ in {path}"
            segment = re.sub(r"\{[^}]+\}", value, segment)
        segments[index] = segment
    known = {"month": ids.month, "category": ids.service_code, "place": ids.place}
    assert set(query) <= known.keys(), f"no value known for the query parameters {query} of {path}"
    return "/".join(segments) + ("?" + "&".join(f"{name}={known[name]}" for name in query) if query else "")
