"""退单: given a dispatched case, when departments return it, then re-routing, escalation and a binding ruling."""
from __future__ import annotations

import pytest

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i

from jiesu_dispatch.domain.commands import Assign, CommandRejected, assign, release
from jiesu_dispatch.domain.sla import SlaPolicy
from tests.domain.test_dispatch_givens import NOW, Story, received


def dispatched(**ctx: object) -> Story:
    story = Story(**ctx)
    story.happen(received())
    return story


def test_a_return_goes_to_the_department_the_returner_named() -> None:
    story = dispatched()
    rerouted, offer = story.happen(story.returned("urban-management", suggested="fire-safety"))
    assert rerouted == d.CaseRerouted(case_id="c1", from_department="urban-management", to_department="fire-safety",
                                      reason="named by the returning department", return_count=1)
    assert (offer.department_id, offer.role) == ("fire-safety", "lead")
    assert story.state.lead == "fire-safety"


def test_without_a_named_department_the_next_rule_candidate_gets_it() -> None:
    story = dispatched()
    rerouted, offer = story.happen(story.returned("urban-management"))
    assert (rerouted.to_department, rerouted.reason) == ("street-office", "next rule candidate")


def test_a_named_department_that_is_unknown_or_returned_before_is_skipped() -> None:
    story = dispatched(max_returns=5)
    story.happen(story.returned("urban-management", suggested="street-office"))
    rerouted, _ = story.happen(story.returned("street-office", suggested="urban-management"))
    assert rerouted.to_department == "community"  # urban-management returned it already: never offered again
    events = story.happen(story.returned("community", suggested="no-such-bureau"))
    assert events == [d.CaseEscalated(case_id="c1", reason="no department left to try", return_count=3)]


def test_a_department_whose_jurisdiction_does_not_cover_the_place_is_skipped() -> None:
    story = dispatched(areas={"street-office": ("Dongcheng/Donghuamen",), "fire-safety": ("Xicheng",),
                              "community": ("Dongcheng/Jingshan",)})
    rerouted, offer = story.happen(story.returned("urban-management", suggested="fire-safety"))
    assert (rerouted.to_department, rerouted.reason) == ("community", "next rule candidate")


def test_a_notification_that_never_arrived_escalates_the_case() -> None:
    story = dispatched()
    offer = story.task_of("urban-management")
    failed = g.TaskNotificationFailed(task_id=offer.task_id, case_id="c1", department_id="urban-management",
                                      webhook_id="w1", attempts=8, last_error="HTTP 503")
    assert story.happen(failed) == [d.CaseEscalated(case_id="c1", reason="the lead department could not be notified",
                                                    return_count=0)]


def test_a_bouncing_case_is_never_offered_twice_to_the_same_department() -> None:
    story = dispatched(max_returns=10)
    offered = ["urban-management"]
    while story.state.status == "open":
        events = story.happen(story.returned(story.state.lead))
        offered += [e.department_id for e in events if isinstance(e, d.TaskOffered)]
    assert len(offered) == len(set(offered)) == 3  # every candidate of the rule and the fallback, once
    assert story.history[-1] == d.CaseEscalated(case_id="c1", reason="no department left to try", return_count=3)


def test_after_the_configured_number_of_returns_the_case_escalates() -> None:
    story = dispatched(max_returns=2)
    story.happen(story.returned("urban-management"))
    events = story.happen(story.returned("street-office", suggested="fire-safety"))
    assert events == [d.CaseEscalated(case_id="c1", reason="returned 2 times", return_count=2)]
    assert story.state.status == "escalated" and story.state.returned_by == {"urban-management", "street-office"}


def test_a_supporting_return_reroutes_the_support_and_does_not_count_as_a_return() -> None:
    story = dispatched()
    rerouted, offer = story.happen(story.returned("housing", suggested="environment"))
    assert (offer.department_id, offer.role, rerouted.to_department) == ("environment", "supporting", "environment")
    assert story.state.return_count == 0 and story.state.lead == "urban-management"


def escalated() -> Story:
    story = dispatched(max_returns=2)
    story.happen(story.returned("urban-management"))
    story.happen(story.returned("street-office"))
    return story


def rule(story: Story, lead: str, override: bool = False, ruling: bool = True) -> list:
    command = Assign(lead=lead, supporting=("housing",), coordinator="wang.li", reason="审定: the shed is on public land",
                     override_returns=override, ruling=ruling)
    return story.record(assign(story.state, "c1", command, story.ctx()))


def test_a_ruling_assigns_the_case_and_records_who_ruled_and_why() -> None:
    story = escalated()
    events = rule(story, "fire-safety")
    dispatched_event, offer = events  # housing keeps its supporting task: the ruling names it again
    assert dispatched_event == d.CaseDispatched(case_id="c1", lead_department="fire-safety",
                                                supporting_departments=["housing"],
                                                rule="ruling", coordinator="wang.li",
                                                reason="审定: the shed is on public land",
                                                sla_policy_version=SlaPolicy().version)
    assert offer.department_id == "fire-safety" and story.state.status == "open"


def test_a_ruling_to_a_department_that_returned_the_case_needs_an_override() -> None:
    story = escalated()
    with pytest.raises(CommandRejected) as refused:
        rule(story, "urban-management")
    assert (refused.value.kind, refused.value.slug) == ("conflict", "returned-before")
    events = rule(story, "urban-management", override=True)
    assert events[0].lead_department == "urban-management" and events[0].rule == "ruling"


def test_the_ruling_binds_a_return_is_refused_and_the_task_offered_again() -> None:
    story = escalated()
    rule(story, "fire-safety")
    rerouted, offer = story.happen(story.returned("fire-safety"))
    assert (rerouted.to_department, rerouted.reason) == ("fire-safety", "the ruling binds: return refused")
    assert offer.department_id == "fire-safety" and story.state.return_count == 2


def test_bad_coordinator_commands_are_refused() -> None:
    story = dispatched()
    with pytest.raises(CommandRejected) as not_escalated:
        rule(story, "fire-safety")
    assert not_escalated.value.slug == "not-escalated"
    with pytest.raises(CommandRejected) as unknown:
        rule(story, "ministry-of-magic", ruling=False)
    assert (unknown.value.kind, unknown.value.slug) == ("invalid", "unknown-department")
    with pytest.raises(CommandRejected) as missing:
        assign(None, "c9", Assign("fire-safety", (), "wang.li", "x"), story.ctx())
    assert missing.value.kind == "not-found"
    story.happen(story.completed("housing"))
    story.happen(story.completed("urban-management"))
    with pytest.raises(CommandRejected) as handled:
        rule(story, "fire-safety", ruling=False)
    assert handled.value.slug == "case-handled"


def test_a_manual_dispatch_cancels_open_tasks_and_offers_anew() -> None:
    story = dispatched()
    events = rule(story, "fire-safety", ruling=False)
    assert [type(e).__name__ for e in events] == ["TaskCancelled", "CaseDispatched", "TaskOffered"]
    assert events[0].department_id == "urban-management"  # housing is named again and keeps its task
    assert events[1].rule == "manual" and events[1].coordinator == "wang.li"


def test_handled_when_the_lead_completes_and_supporting_completed_or_released() -> None:
    story = dispatched()
    assert story.happen(story.completed("urban-management")) == []  # housing still at work
    housing = story.task_of("housing")
    cancelled, handled = story.record(release(story.state, "c1", housing.task_id, "not needed", "wang.li", story.ctx()))
    assert cancelled.reason.startswith("released by coordinator wang.li")
    assert handled == d.CaseHandled(case_id="c1", lead_department="urban-management", handled_at=NOW,
                                    resolution="completed by the lead department")


def test_handled_when_every_department_completed() -> None:
    story = dispatched()
    story.happen(story.completed("housing"))
    (handled,) = story.happen(story.completed("urban-management"))
    assert handled.resolution == "shed removed" and story.state.status == "handled"


def test_a_reopened_case_goes_back_to_the_departments_that_handled_it() -> None:
    story = dispatched()
    story.happen(story.returned("urban-management"))
    story.happen(story.completed("housing"))
    story.happen(story.completed("street-office"))
    events = story.happen(i.CaseReopened(case_id="c1", reason="the shed is back", reopen_count=1))
    dispatched_event, *offers = events
    assert dispatched_event.rule == "reopened" and dispatched_event.reason == "reopened (1): the shed is back"
    assert [(o.department_id, o.role) for o in offers] == [("street-office", "lead"), ("housing", "supporting")]
    assert story.state.returned_by == {"urban-management"} and story.state.return_count == 1  # history kept


def test_a_withdrawn_case_cancels_its_open_tasks() -> None:
    story = dispatched()
    story.happen(story.completed("housing"))
    events = story.happen(i.CaseWithdrawn(case_id="c1", reason="solved by the neighbours"))
    assert [(e.department_id, e.reason) for e in events] == [("urban-management", "case withdrawn")]


def test_a_reclassified_case_is_routed_again_by_its_new_subject() -> None:
    story = dispatched()
    events = story.happen(i.CaseReclassified(case_id="c1", category="noise", operator="op-7", reason="it is noise"))
    assert [type(e).__name__ for e in events] == ["TaskCancelled", "TaskCancelled", "CaseDispatched", "TaskOffered"]
    assert events[2].lead_department == "street-office" and events[2].reason == "reclassified"
