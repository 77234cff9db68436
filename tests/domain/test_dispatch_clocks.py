"""SLA clocks, whistles (吹哨报到) and joint meetings (联席会议): given a case, when time passes or a coordinator acts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i

from jiesu_dispatch.domain import meeting as m
from jiesu_dispatch.domain.commands import BlowWhistle, CommandRejected, blow_whistle
from jiesu_dispatch.domain.sla import SlaPolicy, timers_for
from jiesu_dispatch.domain.timers import fire
from tests.domain.test_dispatch_givens import NOW, Story, received


def dispatched() -> Story:
    story = Story(sla=SlaPolicy(decide_within=timedelta(hours=2), respond_within=timedelta(hours=24)))
    story.happen(received())
    return story


def timer(story: Story, department: str, clock: str, phase: str):  # type: ignore[no-untyped-def]
    offer = story.task_of(department, kind="whistle_report_in" if clock == "report_in" else "case")
    return next(t for t in timers_for(offer, NOW, 0.8) if t.clock == clock and t.phase == phase)


def test_each_offer_starts_warning_and_breach_timers_per_clock() -> None:
    story = dispatched()
    specs = {(t.clock, t.phase): t.due_at for t in timers_for(story.task_of("housing"), NOW, 0.8)}
    assert specs == {("decide", "warning"): NOW + timedelta(minutes=96), ("decide", "breach"): NOW + timedelta(hours=2),
                     ("respond", "warning"): NOW + timedelta(hours=19.2), ("respond", "breach"): NOW + timedelta(hours=24),
                     ("resolve", "warning"): NOW + timedelta(days=5.6), ("resolve", "breach"): NOW + timedelta(days=7)}


def test_a_warning_then_a_breach_when_the_department_does_not_respond() -> None:
    story = dispatched()
    story.happen(story.accepted("housing"))
    (warning,) = fire(story.state, timer(story, "housing", "respond", "warning"))
    (breach,) = fire(story.state, timer(story, "housing", "respond", "breach"))
    assert isinstance(warning, d.SlaWarning) and isinstance(breach, d.SlaBreached)
    assert (breach.clock, breach.department_id, breach.deadline) == ("respond", "housing", NOW + timedelta(hours=24))


def test_a_clock_stops_when_the_task_moves_on() -> None:
    story = dispatched()
    story.happen(story.accepted("housing"))
    assert fire(story.state, timer(story, "housing", "decide", "breach")) == []
    story.happen(g.TaskResponded(task_id=story.task_of("housing").task_id, case_id="c1", department_id="housing",
                                 responded_at=NOW))
    assert fire(story.state, timer(story, "housing", "respond", "breach")) == []
    story.happen(i.CaseClosed(case_id="c1", outcome=None, closed_at=NOW))
    assert fire(story.state, timer(story, "housing", "resolve", "breach")) == []


def test_nobody_accepting_before_the_decision_deadline_escalates() -> None:
    story = dispatched()
    breach, escalation = fire(story.state, timer(story, "urban-management", "decide", "breach"))
    assert isinstance(breach, d.SlaBreached) and breach.clock == "decide"
    assert escalation == d.CaseEscalated(case_id="c1", reason="nobody accepted before the decision deadline",
                                         return_count=0)
    # a supporting department's silence is a breach, not an escalation
    assert [type(e) for e in fire(story.state, timer(story, "housing", "decide", "breach"))] == [d.SlaBreached]


def whistle(story: Story, street_office: str = "street-office", summoned: tuple[str, ...] = ("fire-safety", "housing"),
            within: timedelta | None = None) -> list:
    command = BlowWhistle(street_office=street_office, summoned=summoned, report_in_within=within,
                          reason="illegal shed blocks the fire lane", coordinator="wang.li")
    return story.record(blow_whistle(story.state, "c1", command, story.ctx()))


def test_a_whistle_summons_each_department_with_a_report_in_task_and_deadline() -> None:
    story = dispatched()
    blown, *tasks = whistle(story)
    assert blown.report_in_by == NOW + timedelta(minutes=30) and blown.blown_by == "wang.li"
    assert [(t.department_id, t.kind, t.whistle_id, t.report_in_by) for t in tasks] == [
        ("fire-safety", "whistle_report_in", blown.whistle_id, blown.report_in_by),
        ("housing", "whistle_report_in", blown.whistle_id, blown.report_in_by)]
    assert [t.clock for t in timers_for(tasks[0], NOW, 0.8)] == ["report_in"]


def test_reporting_in_late_and_not_at_all_are_events() -> None:
    story = dispatched()
    blown, fire_task, housing_task = whistle(story, within=timedelta(minutes=10))
    on_time = g.TaskReportedIn(task_id=fire_task.task_id, case_id="c1", department_id="fire-safety",
                               whistle_id=blown.whistle_id, reported_at=NOW + timedelta(minutes=8))
    assert story.happen(on_time) == []
    (no_show,) = fire(story.state, timer(story, "housing", "report_in", "breach"))
    assert no_show == d.WhistleNoShow(whistle_id=blown.whistle_id, case_id="c1", department_id="housing",
                                      report_in_by=NOW + timedelta(minutes=10))
    assert fire(story.state, timer(story, "fire-safety", "report_in", "breach")) == []
    late = g.TaskReportedIn(task_id=housing_task.task_id, case_id="c1", department_id="housing",
                            whistle_id=blown.whistle_id, reported_at=NOW + timedelta(minutes=25))
    (lateness,) = story.happen(late)
    assert isinstance(lateness, d.WhistleReportedInLate) and lateness.minutes_late == 15


def test_no_whistle_on_a_closed_case_nor_for_unknown_departments() -> None:
    story = dispatched()
    with pytest.raises(CommandRejected) as unknown:
        whistle(story, summoned=("fire-safety", "ghost-bureau"))
    assert unknown.value.slug == "unknown-department" and unknown.value.extensions["unknown_departments"] == ["ghost-bureau"]
    story.happen(i.CaseClosed(case_id="c1", outcome=None, closed_at=NOW))
    with pytest.raises(CommandRejected) as closed:
        whistle(story)
    assert (closed.value.kind, closed.value.slug) == ("conflict", "case-closed")


def test_a_meeting_records_decisions_as_tasks_with_owner_and_deadline() -> None:
    story = dispatched()
    convened = m.convene(street_office="street-office", convened_by="wang.li", participants=["housing", "fire-safety"],
                         case_ids=["c1"], scheduled_at=NOW, ctx=story.ctx())
    meeting = m.fold_meeting([convened])
    assert (meeting.street_office, meeting.convened_by) == ("street-office", "wang.li")  # the unit and the person
    decision, task = m.record_decision(meeting, convened.meeting_id, story.state, case_id="c1",
                                       text="清理消防通道 clear the fire lane", owner="fire-safety",
                                       deadline=NOW + timedelta(days=3), recorded_by="wang.li", ctx=story.ctx())
    assert (decision.owner_department, decision.task_id) == ("fire-safety", task.task_id)
    assert (task.kind, task.meeting_id, task.resolve_by) == ("meeting_decision", convened.meeting_id,
                                                              NOW + timedelta(days=3))
    assert task.respond_by <= task.resolve_by and task.decide_by <= task.resolve_by


def test_meeting_decisions_are_refused_off_agenda_past_deadline_or_after_adjournment() -> None:
    story = dispatched()
    convened = m.convene(street_office="street-office", convened_by="wang.li", participants=["housing"],
                         case_ids=["c1"], scheduled_at=NOW, ctx=story.ctx())
    meeting = m.fold_meeting([convened])

    def decide(case_id: str = "c1", deadline: timedelta = timedelta(days=1), current: m.Meeting | None = meeting):
        return m.record_decision(current, convened.meeting_id, story.state, case_id=case_id, text="x",
                                 owner="housing", deadline=NOW + deadline, recorded_by="wang.li", ctx=story.ctx())

    for bad, slug in ((lambda: decide("c2"), "case-not-on-agenda"), (lambda: decide(deadline=-timedelta(hours=1)),
                      "deadline-passed")):
        with pytest.raises(CommandRejected) as refused:
            bad()
        assert refused.value.slug == slug
    adjourned, follow_up = m.adjourn(meeting, convened.meeting_id, ["t9"], carry_over_at=NOW + timedelta(days=7),
                                     coordinator="zhao.min", ctx=story.ctx())
    assert follow_up is not None and adjourned.carried_over_to == follow_up.meeting_id
    assert follow_up.carried_over_from == convened.meeting_id and adjourned.open_task_ids == ["t9"]
    assert (follow_up.street_office, follow_up.convened_by) == ("street-office", "zhao.min")  # same unit, who adjourned
    with pytest.raises(CommandRejected) as closed:
        decide(current=m.fold_meeting([convened, adjourned]))
    assert closed.value.slug == "meeting-adjourned"


def test_a_meeting_is_convened_only_for_a_street_office_the_directory_knows() -> None:
    story = dispatched()
    with pytest.raises(CommandRejected) as unknown:
        m.convene(street_office="ghost-street", convened_by="wang.li", participants=["housing"], case_ids=["c1"],
                  scheduled_at=NOW, ctx=story.ctx())
    assert (unknown.value.kind, unknown.value.slug) == ("invalid", "unknown-department")
    assert unknown.value.extensions["unknown_departments"] == ["ghost-street"]


def test_a_meeting_convened_before_v2_reads_with_its_person_and_its_follow_up_keeps_the_unit_unknown() -> None:
    story = dispatched()
    old = parse_payload("meeting.convened.v1", {"meeting_id": "m-old", "convened_by": "wang.li",
                                                "participants": ["housing"], "case_ids": ["c1"],
                                                "scheduled_at": NOW.isoformat()})
    meeting = m.fold_meeting([old])
    assert meeting is not None and (meeting.street_office, meeting.convened_by) == (None, "wang.li")
    _, follow_up = m.adjourn(meeting, "m-old", ["t9"], carry_over_at=NOW + timedelta(days=7), coordinator="zhao.min",
                             ctx=story.ctx())
    assert follow_up is not None and (follow_up.street_office, follow_up.convened_by) == (None, "zhao.min")


def test_a_report_in_a_fraction_of_a_second_late_is_late_by_that_much() -> None:
    story = dispatched()
    blown, _, housing_task = whistle(story, within=timedelta(minutes=10))
    late = g.TaskReportedIn(task_id=housing_task.task_id, case_id="c1", department_id="housing",
                            whistle_id=blown.whistle_id, reported_at=blown.report_in_by + timedelta(milliseconds=200))
    (lateness,) = story.happen(late)
    assert isinstance(lateness, d.WhistleReportedInLate) and lateness.minutes_late * 60 == pytest.approx(0.2)
