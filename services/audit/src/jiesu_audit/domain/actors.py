"""Who acted in an event and which department it concerns, read from the event's own fields.

The **actor** (`jiesu:actor` in XES, `actor` in Parquet, OCEL and the case timeline) is who acted, decided per
event type from the catalogue, in this order:

1. **the person the event names**: an operator (`case.reclassified`, `case.callback_recorded`), a coordinator
   (`case.dispatched` by hand or by a ruling; `whistle.blown` — `blown_by`; `meeting.convened` (v1 and v2),
   `meeting.decision_recorded`, `meeting.adjourned` — `convened_by`, `recorded_by`, `adjourned_by`), an
   administrator (`directory.department_registered`, `routing.rules_published` — `registered_by`, `published_by`);
2. else, when the **department's own staff or API** acted (through agency-gateway: `task.accepted`,
   `task.returned` / `task.rejected`, `task.responded`, `task.progress_reported`, `task.completed`,
   `task.reported_in`; and `whistle.blown`, 吹哨, the street office's own summons) and no person is named:
   **the department**;
3. else **the producing service**, the last part of the event's `source`: `dispatch` for what its rules decide
   (a rules-made `case.dispatched`, `task.offered`, `task.cancelled`, `case.rerouted`, `case.escalated`,
   `sla.warning`, `sla.breached`, `case.handled`, `whistle.no_show`, `whistle.reported_in_late`, a meeting's
   decision or adjournment with no coordinator named), `gateway` for a webhook delivered or given up (`task.notified`,
   `task.notification_failed`), `intake` for `case.received`, `case.linked_as_duplicate`,
   `case.callback_due`, `case.reopened`, `case.withdrawn` and `case.closed` (an operator may have asked, but
   the event names none).

The department an event concerns is never put in the actor's place for a service: that is the acting
department (`org:resource` in XES, `department` in Parquet and the timeline).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jiesu_shared.catalogue import EVENT_TYPES

# `convened_by` is not among them: it names the coordinator (meeting.convened v1 and v2); the convening unit is
# v2's `street_office`
DEPARTMENT_FIELDS = ("department_id", "owner_department", "lead_department", "street_office")
# every field in which an event names the person who acted (an operator, a coordinator, an administrator)
PERSON_FIELDS = ("operator", "coordinator", "blown_by", "convened_by", "recorded_by", "adjourned_by",
                 "registered_by", "published_by")
# a department's own staff or API acted: agency-gateway records what the department did with its task; a
# whistle is the street office's summons (its coordinator, when named, is the person)
DEPARTMENT_ACTS = frozenset({"task.accepted.v1", "task.rejected.v1", "task.returned.v2", "task.responded.v1",
                             "task.progress_reported.v1", "task.completed.v1", "task.reported_in.v1",
                             "whistle.blown.v1"})
# the person fields each catalogued type has (none for most); a type the catalogue does not know may name any
_PERSON_FIELDS_OF = {name: tuple(f for f in PERSON_FIELDS if f in model.model_fields)
                     for name, model in EVENT_TYPES.items()}


def department_of(data: dict[str, Any]) -> str | None:
    return department_from(data.get)


def actor_of(kind: str, source: str, data: dict[str, Any]) -> str:
    """Who acted in an event of type `kind` (see the module's rule): a person, a department or a service."""
    return actor_from(kind, source, data.get, department_from(data.get))


def department_from(get: Callable[[str], Any]) -> str | None:
    """`department_of`, from the data's `get` (the export asks once per event, for this and the actor)."""
    for name in DEPARTMENT_FIELDS:
        if isinstance(value := get(name), str):
            return value
    return None


def actor_from(kind: str, source: str, get: Callable[[str], Any], department: str | None) -> str:
    """`actor_of`, from the data's `get`, its department already found."""
    for name in _PERSON_FIELDS_OF.get(kind, PERSON_FIELDS):
        if (person := get(name)).__class__ is str and person:
            return person
    if department and kind in DEPARTMENT_ACTS:
        return department
    return source.rsplit("/", 1)[-1]
