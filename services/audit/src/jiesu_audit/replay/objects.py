"""What an event is about, for object-centric process mining: cases, tasks, departments, meetings, whistles,
streets and communities (from the place), call-backs (one per verdict recorded)."""
from __future__ import annotations

from typing import Any

# field → (object type, qualifier of the event-to-object relationship)
SINGLE_OBJECT_FIELDS = {
    "case_id": ("case", "case"), "duplicate_of": ("case", "duplicate of"), "task_id": ("task", "task"), "meeting_id": ("meeting", "meeting"),
    "whistle_id": ("whistle", "whistle"), "carried_over_from": ("meeting", "carried over from"),
    "carried_over_to": ("meeting", "carried over to"),
    "department_id": ("department", "department"), "lead_department": ("department", "lead"),
    "owner_department": ("department", "owner"), "from_department": ("department", "from"),
    "to_department": ("department", "to"), "suggested_department": ("department", "suggested"),
    "street_office": ("department", "street office"),  # a whistle's or (meeting.convened.v2) a meeting's unit
}  # no `convened_by`: it names a person (the coordinator), and persons are not objects
MANY_OBJECT_FIELDS = {
    "case_ids": ("case", "discussed"), "supporting_departments": ("department", "supporting"),
    "summoned": ("department", "summoned"), "participants": ("department", "participant"),
}
_SINGLE_ROWS = tuple((field, kind, qualifier) for field, (kind, qualifier) in SINGLE_OBJECT_FIELDS.items())
_MANY_ROWS = tuple((field, kind, qualifier) for field, (kind, qualifier) in MANY_OBJECT_FIELDS.items())
# scalar fields worth keeping as event attributes (everything else is an object, a time or free text)
EVENT_ATTRIBUTES = ("category", "channel", "urgency", "request_type", "role", "kind", "reason", "outcome",
                    "satisfaction", "unresolvable_reason", "clock", "rule", "return_count", "reopen_count",
                    "attempts", "sla_policy_version")
CASE_ATTRIBUTES = ("category", "channel", "urgency", "request_type")
PLACE_ATTRIBUTES = ("district", "street", "community", "grid")


def oid(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def street_and_community(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The street's and the community's object ids from the event's place: qualified by what contains them,
    since two districts may each have a street of the same name."""
    place = data.get("place")
    if not isinstance(place, dict) or not isinstance(place.get("street"), str) or not place["street"]:
        return None, None
    street = f"{place.get('district') or '?'}/{place['street']}"
    community = place.get("community")
    return oid("street", street), (oid("community", f"{street}/{community}") if isinstance(community, str)
                                   and community else None)


def related_objects(subject: str, event_type: str, data: dict[str, Any], event_id: str = "") -> list[tuple[str, str, str]]:
    """(object id, object type, qualifier) for every object the event names, without repeats, in a fixed order.
    Each field has a qualifier of its own, so only a list field can name the same object twice."""
    found: list[tuple[str, str, str]] = []
    if event_type.startswith("meeting.") and "meeting_id" not in data:
        found.append((oid("meeting", subject), "meeting", "meeting"))
    if event_type == "case.callback_recorded.v1":
        found.append((callback_oid(event_id), "call-back", "call-back"))
    singles, manies, _ = _shape(data)
    for field, kind, qualifier in singles:  # per event, twice: plain loops, no helper calls
        value = data[field]
        if value.__class__ is str and value:
            found.append((f"{kind}:{value}", kind, qualifier))
    for field, kind, qualifier in manies:
        for name in data[field] or ():
            if name.__class__ is str and name and (named := (f"{kind}:{name}", kind, qualifier)) not in found:
                found.append(named)
    place = data.get("place")
    if place.__class__ is dict:
        found += _place_objects(place)
    return found


_PLACES: dict[tuple, tuple[tuple[str, str, str], ...]] = {}
_REMEMBERED_PLACES = 100_000  # a district has a few thousand places: bounded all the same


def _place_objects(place: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """The street and community a place names (`street_and_community`), remembered by its codes (texts)."""
    codes = (place.get("district"), place.get("street"), place.get("community"))
    objects = _PLACES.get(codes) if _all_texts(codes) else None
    if objects is None:
        street, community = street_and_community({"place": place})
        objects = ((street, "street", "street"),) if street else ()
        objects += ((community, "community", "community"),) if community else ()
        if _all_texts(codes):  # another value (rare) could equal a text's key and read differently
            if len(_PLACES) >= _REMEMBERED_PLACES:
                _PLACES.clear()
            _PLACES[codes] = objects
    return objects


def _all_texts(codes: tuple) -> bool:
    return all(c is None or c.__class__ is str for c in codes)


def callback_oid(event_id: str) -> str:
    return oid("call-back", event_id)


# the event types that link objects (`object_links`) or describe one (`object_attributes`): the rest do neither
LINKING_TYPES = frozenset({"case.received.v1", "task.offered.v1", "whistle.blown.v1", "case.linked_as_duplicate.v1",
                           "meeting.decision_recorded.v1", "case.callback_recorded.v1", "meeting.convened.v1",
                           "meeting.convened.v2"})
DESCRIBING_TYPES = frozenset({"case.callback_recorded.v1", "case.received.v1", "task.offered.v1", "whistle.blown.v1"})


def object_links(event_type: str, data: dict[str, Any], event_id: str = "") -> list[tuple[str, str, str]]:
    """Object-to-object relationships an event establishes: (source object, target object, qualifier)."""
    links: list[tuple[str, str, str]] = []
    case = data.get("case_id")
    if event_type == "case.received.v1" and case:
        street, community = street_and_community(data)
        links += [(oid("case", case), street, "located in")] if street else []
        links += [(oid("case", case), community, "located in"), (community, street, "part of")] if community else []
    if event_type == "task.offered.v1" and isinstance(data.get("task_id"), str):
        task = oid("task", data["task_id"])
        links += [(task, oid("case", case), "belongs to")] if case else []
        links += [(task, oid("department", data["department_id"]), "offered to")] if data.get("department_id") else []
        links += [(task, oid("whistle", data["whistle_id"]), "reports in to")] if data.get("whistle_id") else []
        links += [(task, oid("meeting", data["meeting_id"]), "decided by")] if data.get("meeting_id") else []
    elif event_type == "whistle.blown.v1" and data.get("whistle_id") and case:
        links.append((oid("whistle", data["whistle_id"]), oid("case", case), "about"))
    elif event_type == "case.linked_as_duplicate.v1" and case and isinstance(data.get("duplicate_of"), str):
        links.append((oid("case", case), oid("case", data["duplicate_of"]), "duplicate of"))
    elif event_type == "meeting.decision_recorded.v1" and data.get("task_id") and data.get("meeting_id"):
        links.append((oid("task", data["task_id"]), oid("meeting", data["meeting_id"]), "decided at"))
    elif event_type == "case.callback_recorded.v1" and case:
        links.append((callback_oid(event_id), oid("case", case), "calls back about"))
    elif event_type in ("meeting.convened.v1", "meeting.convened.v2") and data.get("meeting_id"):
        meeting = oid("meeting", data["meeting_id"])
        links += [(meeting, oid("case", c), "discusses") for c in data.get("case_ids") or ()]
        if isinstance(data.get("street_office"), str) and data["street_office"]:  # v2; v1 never recorded it
            links.append((meeting, oid("department", data["street_office"]), "convened by"))
    return links


def object_attributes(event_type: str, data: dict[str, Any], event_id: str = "") -> tuple[str, dict[str, Any]] | None:
    """The (object id, attributes) an event describes: a case when received, a task when offered, a call-back."""
    if event_type == "case.callback_recorded.v1":
        return callback_oid(event_id), {k: data[k] for k in ("outcome", "satisfaction", "unresolvable_reason")
                                        if isinstance(data.get(k), str)}
    if event_type == "case.received.v1" and data.get("case_id"):
        attrs = {k: data[k] for k in CASE_ATTRIBUTES if data.get(k) is not None}
        attrs.update({k: v for k, v in (data.get("place") or {}).items() if k in PLACE_ATTRIBUTES and v})
        if isinstance(data.get("contact"), dict) and data["contact"].get("citizen"):
            attrs["citizen"] = data["contact"]["citizen"]
        return oid("case", data["case_id"]), attrs
    if event_type == "task.offered.v1" and data.get("task_id"):
        return oid("task", data["task_id"]), {k: data[k] for k in ("role", "kind", "category") if data.get(k)}
    if event_type == "whistle.blown.v1" and data.get("whistle_id"):
        return oid("whistle", data["whistle_id"]), {k: data[k] for k in ("street_office", "report_in_by") if data.get(k)}
    return None


def event_attributes(data: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for k in _shape(data)[2]:
        value = data[k]
        if value.__class__ is str or value.__class__ is int:  # not a bool, though bool is an int
            found[k] = value
    return found


def event_attribute_names(data: dict[str, Any]) -> tuple[str, ...]:
    """The fields of `EVENT_ATTRIBUTES` the data has, in that order (values of any type)."""
    return _shape(data)[2]


_SHAPES: dict[tuple[str, ...], tuple[tuple, tuple, tuple]] = {}
_REMEMBERED_SHAPES = 10_000  # an event type has one or a few sets of fields: a log has some dozens


def _shape(data: dict[str, Any]) -> tuple[tuple, tuple, tuple]:
    """Which of the fields that name objects (single, many) or are event attributes the data has, in their
    fixed order: decided once per set of field names, not field by field on every event."""
    names = tuple(data)
    shape = _SHAPES.get(names)
    if shape is None:
        present = frozenset(names)
        shape = (tuple(row for row in _SINGLE_ROWS if row[0] in present),
                 tuple(row for row in _MANY_ROWS if row[0] in present),
                 tuple(name for name in EVENT_ATTRIBUTES if name in present))
        if len(_SHAPES) < _REMEMBERED_SHAPES:
            _SHAPES[names] = shape
    return shape
