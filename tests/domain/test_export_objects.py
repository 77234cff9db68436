"""What an event names for OCEL (objects, links, attributes), as the export's staging and writer read it."""
from __future__ import annotations

import pytest

from jiesu_audit.replay import objects as o

# every field any event type reads an object, a link or an attribute from, each holding a text
_EVERY_FIELD = {**{f: "x" for f in (*o.SINGLE_OBJECT_FIELDS, "version", "report_in_by", "outcome", "satisfaction",
                                    "unresolvable_reason", "role", "kind", "category", "channel", "urgency",
                                    "request_type")},
                **{f: ["a", "b"] for f in o.MANY_OBJECT_FIELDS},
                "place": {"district": "d", "street": "s", "community": "c"},
                "contact": {"citizen": "cit-1"}}
_TYPES = ("case.callback_due.v1", "case.callback_recorded.v1", "case.closed.v1", "case.dispatched.v1",
          "case.escalated.v1", "case.handled.v1", "case.linked_as_duplicate.v1", "case.received.v1",
          "case.reclassified.v1", "case.reopened.v1", "case.rerouted.v1", "case.withdrawn.v1",
          "directory.department_registered.v1", "meeting.adjourned.v1", "meeting.convened.v1", "meeting.convened.v2",
          "meeting.decision_recorded.v1", "routing.rules_published.v1", "sla.breached.v1", "sla.warning.v1",
          "task.accepted.v1", "task.cancelled.v1", "task.completed.v1", "task.offered.v1", "task.rejected.v1",
          "task.reported_in.v1", "task.responded.v1", "whistle.blown.v1", "whistle.no_show.v1")


@pytest.mark.parametrize("event_type", _TYPES)
def test_only_the_named_types_link_or_describe_objects(event_type: str) -> None:
    """Staging asks for links and attributes only of these types: any other type must have none to give."""
    if event_type not in o.LINKING_TYPES:
        assert o.object_links(event_type, _EVERY_FIELD, "e-1") == []
    if event_type not in o.DESCRIBING_TYPES:
        assert o.object_attributes(event_type, _EVERY_FIELD, "e-1") is None


def test_an_object_named_twice_in_a_list_is_related_once_in_first_seen_order() -> None:
    data = {"case_id": "c-1", "participants": ["dep-a", "dep-b", "dep-a", None, ""], "summoned": ["dep-a"]}
    assert o.related_objects("m-1", "meeting.convened.v1", data) == [
        ("meeting:m-1", "meeting", "meeting"), ("case:c-1", "case", "case"),
        ("department:dep-a", "department", "summoned"),  # the list fields in their fixed order
        ("department:dep-a", "department", "participant"), ("department:dep-b", "department", "participant")]


@pytest.mark.parametrize(("place", "expected"), [
    ({"district": "d", "street": "s", "community": "c"},
     [("street:d/s", "street", "street"), ("community:d/s/c", "community", "community")]),
    ({"district": None, "street": "s"}, [("street:?/s", "street", "street")]),
    ({"district": 1, "street": "s"}, [("street:1/s", "street", "street")]),
    ({"district": True, "street": "s"}, [("street:True/s", "street", "street")]),  # equal to 1 as a key: not mixed up
    ({"district": "d", "street": ""}, []),
    ({"district": "d", "street": "s", "community": 7}, [("street:d/s", "street", "street")]),
])
def test_a_places_street_and_community_read_the_same_whether_seen_before_or_not(place: dict, expected: list) -> None:
    for _ in range(2):  # the second time from the remembered places
        assert o.related_objects("c-1", "case.handled.v1", {"place": dict(place)}) == expected


def test_a_meeting_is_convened_by_its_street_office_and_never_by_the_person_who_convened_it() -> None:
    """v2 names the convening unit: a department object, linked to the meeting; `convened_by` is the coordinator
    (the actor), not an object. A v1 record named only the coordinator: no unit to link."""
    v2 = {"meeting_id": "m-1", "street_office": "jingshan-street", "convened_by": "wang.li", "case_ids": ["c-1"],
          "participants": ["housing"]}
    assert o.related_objects("m-1", "meeting.convened.v2", v2) == [
        ("meeting:m-1", "meeting", "meeting"), ("department:jingshan-street", "department", "street office"),
        ("case:c-1", "case", "discussed"), ("department:housing", "department", "participant")]
    assert o.object_links("meeting.convened.v2", v2) == [("meeting:m-1", "case:c-1", "discusses"),
                                                         ("meeting:m-1", "department:jingshan-street", "convened by")]
    v1 = {k: v for k, v in v2.items() if k != "street_office"}
    assert "department:wang.li" not in {found[0] for found in o.related_objects("m-1", "meeting.convened.v1", v1)}
    assert o.object_links("meeting.convened.v1", v1) == [("meeting:m-1", "case:c-1", "discusses")]
