"""`department_of` and `actor_of` (domain.actors) as the export calls them on every event, twice: from the
data's `get`, the department found once for both."""
from __future__ import annotations

from jiesu_audit.domain.actors import DEPARTMENT_FIELDS, PERSON_FIELDS


def first_department(get) -> str | None:
    """`department_of`, from the data's `get`: the first department field holding a text."""
    for name in DEPARTMENT_FIELDS:
        if (value := get(name)).__class__ is str:
            return value
    return None


def actor(source: str, get, department: str | None) -> str:
    """`actor_of`, with the department already found: a person, else the department, else the service."""
    for name in PERSON_FIELDS:
        if (person := get(name)).__class__ is str:
            return person
    return department or source.rsplit("/", 1)[-1]
