"""Dispatch's decider: given a received case, when dispatched, then a lead, supporters and deadlines."""
from __future__ import annotations

from datetime import timedelta

from jiesu_shared.catalogue.dispatch import CaseDispatched, TaskOffered

from jiesu_dispatch.domain.decider import react
from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.domain.state import fold
from tests.domain.test_dispatch_givens import NOW, context, received

TABLE = RoutingTable.from_dict({
    "version": "v-test",
    "rules": [{"id": "property", "category": "property_management", "lead": "property-firm",
               "supporting": ["housing", "property-firm", "housing"]},
              {"id": "noise-jingshan", "category": "noise", "district": "Dongcheng", "street": "Jingshan",
               "lead": "street-office", "supporting": ["environment"]},
              {"id": "noise", "category": "noise", "lead": "urban-management", "fallbacks": ["environment"]}],
    "fallback": {"id": "street-first", "lead": "street-office"},
})


def dispatch(category: str, sla: SlaPolicy | None = None, street: str = "Jingshan") -> list:
    fact = received(category, street=street)
    return react(fold([fact]), fact, context(routing=TABLE, sla=sla or SlaPolicy()))


def test_a_matching_rule_names_lead_and_supporting_departments_once_each() -> None:
    dispatched, *offers = dispatch("property_management")
    assert dispatched == CaseDispatched(case_id="c1", lead_department="property-firm",
                                        supporting_departments=["housing"], rule="v-test/property",
                                        sla_policy_version=SlaPolicy().version)
    assert [(o.department_id, o.role, o.task_id) for o in offers] == [("property-firm", "lead", "t1"),
                                                                      ("housing", "supporting", "t2")]


def test_deadlines_follow_the_sla_policy() -> None:
    sla = SlaPolicy(decide_within=timedelta(minutes=30), respond_within=timedelta(hours=24),
                    resolve_within=timedelta(days=7))
    _, offer = dispatch("unclassified", sla)
    assert isinstance(offer, TaskOffered)
    assert (offer.decide_by, offer.respond_by, offer.resolve_by) == (
        NOW + timedelta(minutes=30), NOW + timedelta(hours=24), NOW + timedelta(days=7))


def test_deadlines_per_subject_and_urgency_override_the_defaults() -> None:
    sla = SlaPolicy().with_overrides([{"urgency": "emergency", "respond_within_hours": 2, "resolve_within_days": 1},
                                      {"category": "noise", "urgency": "emergency", "respond_within_hours": 1}])
    assert sla.for_case("heating", "emergency").respond_within == timedelta(hours=2)
    assert sla.for_case("noise", "emergency").respond_within == timedelta(hours=1)
    assert sla.for_case("noise", "normal").respond_within == timedelta(hours=24)


def test_an_unmatched_subject_falls_back_to_the_street_office() -> None:
    dispatched, offer = dispatch("unclassified")
    assert dispatched.lead_department == "street-office" and dispatched.rule == "v-test/street-first"
    assert offer.department_id == "street-office"


def test_the_rule_for_the_place_wins_over_the_general_one() -> None:
    assert dispatch("noise")[0].rule == "v-test/noise-jingshan"
    assert dispatch("noise", street="Donghuamen")[0].rule == "v-test/noise"
    assert TABLE.candidates("noise", received("noise", street="Donghuamen").place) == (
        "urban-management", "environment", "street-office")


def test_a_case_already_dispatched_is_not_dispatched_again() -> None:
    fact = received("noise")
    history = [fact, *dispatch("noise")]
    state = fold(history)
    assert state is not None and [t.department_id for t in state.case_tasks()] == ["street-office", "environment"]
    assert react(fold([*history, fact]), fact, context(routing=TABLE)) == []


