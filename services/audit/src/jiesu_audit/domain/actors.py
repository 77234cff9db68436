"""Who acted in an event and which department it concerns, read from the event's own fields."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEPARTMENT_FIELDS = ("department_id", "owner_department", "lead_department", "street_office", "convened_by")
PERSON_FIELDS = ("operator", "coordinator")


def department_of(data: dict[str, Any]) -> str | None:
    return department_from(data.get)


def actor_of(source: str, data: dict[str, Any]) -> str:
    """An operator or coordinator when the event names one, else the department, else the producing service."""
    return actor_from(source, data.get, department_from(data.get))


def department_from(get: Callable[[str], Any]) -> str | None:
    """`department_of`, from the data's `get` (the export asks once per event, for this and the actor)."""
    for name in DEPARTMENT_FIELDS:
        if isinstance(value := get(name), str):
            return value
    return None


def actor_from(source: str, get: Callable[[str], Any], department: str | None) -> str:
    """`actor_of`, from the data's `get`, its department already found."""
    for name in PERSON_FIELDS:
        if isinstance(person := get(name), str):
            return person
    return department or source.rsplit("/", 1)[-1]
