"""Department names instead of ids wherever the directory knows them (dispatch's `GET /directory/departments`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from jiesu_console.guards import console_of
from jiesu_console.upstream import UpstreamError


async def department_names(request: Request, person: Any) -> Callable[[str | None], str]:
    """`dept(id)` for templates: the directory's name, else the id itself (a department not in the directory)."""
    try:
        entries = await console_of(request).upstream.call(person, "dispatch", "GET", "/directory/departments")
    except UpstreamError:
        entries = []
    names = {e["department_id"]: e["name"] for e in entries}

    def dept(department_id: str | None) -> str:
        return "—" if not department_id else names.get(department_id, department_id)

    return dept
