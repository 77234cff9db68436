"""Dispatch's decider: given a received case, when dispatched, then a lead, supporters and deadlines."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.dispatch import CaseDispatched, TaskOffered
from jiesu_shared.catalogue.intake import CaseReceived

from jiesu_dispatch.domain.case import SlaPolicy, decide_dispatch, fold
from jiesu_dispatch.domain.routing import RoutingTable

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
TABLE = RoutingTable.from_dict({
    "version": "v-test",
    "rules": [{"id": "property", "category": "property_management", "lead": "property-firm",
               "supporting": ["housing", "property-firm", "housing"]}],
    "fallback": {"id": "street-first", "lead": "street-office"},
})


def received(category: str) -> CaseReceived:
    return CaseReceived(case_id="c1", channel="hotline", text="漏水 leak", category=category,
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=NOW)


def ids():  # type: ignore[no-untyped-def]
    counter = itertools.count(1)
    return lambda: f"t{next(counter)}"


def test_a_matching_rule_names_lead_and_supporting_departments_once_each() -> None:
    events = decide_dispatch(received("property_management"), None, routing=TABLE, sla=SlaPolicy(), now=NOW,
                             new_task_id=ids())
    dispatched, *offers = events
    assert dispatched == CaseDispatched(case_id="c1", lead_department="property-firm",
                                        supporting_departments=["housing"], rule="v-test/property")
    assert [(o.department_id, o.role, o.task_id) for o in offers] == [("property-firm", "lead", "t1"),
                                                                      ("housing", "supporting", "t2")]


def test_deadlines_follow_the_sla_policy() -> None:
    sla = SlaPolicy(decide_within=timedelta(minutes=30), respond_within=timedelta(hours=24),
                    resolve_within=timedelta(days=7))
    _, offer = decide_dispatch(received("noise"), None, routing=TABLE, sla=sla, now=NOW, new_task_id=ids())
    assert isinstance(offer, TaskOffered)
    assert (offer.decide_by, offer.respond_by, offer.resolve_by) == (
        NOW + timedelta(minutes=30), NOW + timedelta(hours=24), NOW + timedelta(days=7))


def test_an_unmatched_subject_falls_back_to_the_street_office() -> None:
    dispatched, offer = decide_dispatch(received("unclassified"), None, routing=TABLE, sla=SlaPolicy(), now=NOW,
                                        new_task_id=ids())
    assert dispatched.lead_department == "street-office" and dispatched.rule == "v-test/street-first"
    assert offer.department_id == "street-office"


def test_a_case_already_dispatched_is_not_dispatched_again() -> None:
    history = decide_dispatch(received("noise"), None, routing=TABLE, sla=SlaPolicy(), now=NOW, new_task_id=ids())
    state = fold(history)
    assert state is not None and state.offered_to == ("street-office",)
    assert decide_dispatch(received("noise"), state, routing=TABLE, sla=SlaPolicy(), now=NOW,
                           new_task_id=ids()) == []
