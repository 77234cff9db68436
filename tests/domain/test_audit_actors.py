"""Who acted (`jiesu:actor`) and the acting department (`org:resource`) of every catalogued event type, read
from the golden documents: a person the event names, else the department when its own staff or API acted,
else the producing service — never the department standing in for a service."""
from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from jiesu_audit.domain.actors import PERSON_FIELDS, actor_of
from jiesu_audit.replay.reading import HOTLINE, RulesInForce, read_case
from jiesu_shared.catalogue import EVENT_TYPES, registry

GOLDEN = Path(__file__).parents[1] / "contract" / "golden"

# (type, org:resource, jiesu:actor) of the golden documents read as one case's events, in this order: an
# event naming no department (escalated, adjourned, rules published) stays with the lead line's department before it
EXPECTED = [
    ("directory.department_registered.v1", "fire-safety", "admin"),
    ("routing.rules_published.v1", "fire-safety", "admin"),
    ("case.received.v1", HOTLINE, "intake"),
    ("case.reclassified.v1", HOTLINE, "op-017"),
    ("case.linked_as_duplicate.v1", HOTLINE, "intake"),
    ("case.dispatched.v1", "property-firm", "dispatch"),
    ("task.offered.v1", "property-firm", "dispatch"),
    ("task.notification_failed.v1", "property-firm", "gateway"),
    ("task.notified.v1", "property-firm", "gateway"),
    ("task.rejected.v1", "property-firm", "property-firm"),
    ("task.returned.v2", "property-firm", "property-firm"),
    ("case.rerouted.v1", "housing", "dispatch"),
    ("case.escalated.v1", "housing", "dispatch"),
    ("task.cancelled.v1", "housing", "dispatch"),
    ("task.accepted.v1", "property-firm", "property-firm"),
    ("sla.warning.v1", "property-firm", "dispatch"),
    ("sla.breached.v1", "property-firm", "dispatch"),
    ("task.responded.v1", "property-firm", "property-firm"),
    ("task.progress_reported.v1", "property-firm", "property-firm"),
    ("whistle.blown.v1", "street-office", "wang.li"),
    ("task.reported_in.v1", "urban-management", "urban-management"),
    ("whistle.reported_in_late.v1", "fire-safety", "dispatch"),
    ("whistle.no_show.v1", "fire-safety", "dispatch"),
    ("meeting.convened.v1", "urban-management", "wang.li"),  # v1 named only the coordinator: no unit, so the lead line's
    ("meeting.convened.v2", "street-office", "wang.li"),  # the convening street office, the coordinator who convened it
    ("meeting.decision_recorded.v1", "housing", "wang.li"),
    ("meeting.adjourned.v1", "urban-management", "wang.li"),  # the lead line's last department (meetings are beside it)
    ("task.completed.v1", "property-firm", "property-firm"),
    ("case.handled.v1", "property-firm", "dispatch"),
    ("case.callback_due.v1", HOTLINE, "intake"),
    ("case.callback_recorded.v1", HOTLINE, "op-017"),
    ("case.reopened.v1", HOTLINE, "intake"),
    ("case.withdrawn.v1", HOTLINE, "intake"),
    ("case.closed.v1", HOTLINE, "intake"),
]


def _golden(event_type: str) -> dict:
    folder = GOLDEN / "upcast" if event_type in registry.UPCASTERS else GOLDEN
    return json.loads((folder / f"{event_type}.json").read_text(encoding="utf-8"))


def test_every_catalogued_type_and_replaced_version_has_its_actor_decided_here() -> None:
    types = [t for t, _, _ in EXPECTED]
    assert len(types) == len(set(types)) and set(types) == set(EVENT_TYPES) | set(registry.UPCASTERS)


def test_each_golden_event_reads_with_its_acting_department_and_who_acted() -> None:
    readings = read_case([_golden(t) for t, _, _ in EXPECTED], RulesInForce())
    assert [(r.doc["type"], r.resource, r.actor) for r in readings] == EXPECTED


@pytest.mark.parametrize(("event_type", "_resource", "actor"), EXPECTED)
def test_the_timeline_names_the_same_actor_as_the_exports(event_type: str, _resource: str, actor: str) -> None:
    doc = _golden(event_type)
    assert actor_of(doc["type"], doc["source"], doc["data"]) == actor


@pytest.mark.parametrize(("event_type", "field", "unnamed"), [
    ("case.dispatched.v1", "coordinator", "dispatch"),  # the rules dispatched; a named coordinator: by hand, a ruling
    ("whistle.blown.v1", "blown_by", "street-office"),  # 吹哨 is the street office's own summons
    ("meeting.adjourned.v1", "adjourned_by", "dispatch"),
    ("meeting.convened.v2", "convened_by", "dispatch"),  # never its street office: that is the department, not who acted
    ("meeting.decision_recorded.v1", "recorded_by", "dispatch"),  # not the owner department: it is given the task
])
def test_with_no_person_named_the_service_or_the_department_that_acted_and_the_person_when_named(
        event_type: str, field: str, unnamed: str) -> None:
    doc = _golden(event_type)
    for value, expected in ((None, unnamed), ("", unnamed), ("coord-li", "coord-li")):
        assert actor_of(event_type, doc["source"], {**doc["data"], field: value}) == expected


def test_a_type_the_catalogue_does_not_know_acts_as_its_person_else_its_service_never_its_department() -> None:
    data = {"case_id": "c-1", "department_id": "housing"}
    assert actor_of("case.nudged.v9", "/jiesu/dispatch", data) == "dispatch"
    assert actor_of("case.nudged.v9", "/jiesu/dispatch", {**data, "operator": "op-1"}) == "op-1"


def test_every_catalogue_field_naming_who_acted_is_a_person_field() -> None:
    """A new `…_by` text field (or an operator or coordinator) must be read as the actor: add it to PERSON_FIELDS."""
    named = {name for model in EVENT_TYPES.values() for name, info in model.model_fields.items()
             if (name.endswith("_by") or name in ("operator", "coordinator")) and _is_text(info.annotation)}
    assert named == set(PERSON_FIELDS)


def _is_text(annotation: object) -> bool:
    return annotation is str or str in typing.get_args(annotation)
