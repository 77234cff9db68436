"""Who acted in an event and which department it concerns, read from the event's own fields."""
from __future__ import annotations

from typing import Any

DEPARTMENT_FIELDS = ("department_id", "owner_department", "lead_department", "street_office", "convened_by")
PERSON_FIELDS = ("operator", "coordinator")


def department_of(data: dict[str, Any]) -> str | None:
    return next((data[f] for f in DEPARTMENT_FIELDS if isinstance(data.get(f), str)), None)


def actor_of(source: str, data: dict[str, Any]) -> str:
    """An operator or coordinator when the event names one, else the department, else the producing service."""
    for name in PERSON_FIELDS:
        if isinstance(data.get(name), str):
            return data[name]
    return department_of(data) or source.rsplit("/", 1)[-1]
