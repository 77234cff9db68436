"""A breach is a fact of event time: given a case's history (each event with when it happened), when a
clock's timer runs, then the verdict depends only on when the stopping event happened, never on when it
arrived or when the timer ran. For every clock: decide, respond, resolve and a whistle's report-in."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i

from jiesu_dispatch.domain.commands import BlowWhistle, blow_whistle
from jiesu_dispatch.domain.sla import SlaPolicy, TimerSpec, timers_for
from jiesu_dispatch.domain.state import fold
from jiesu_dispatch.domain.timers import fire
from tests.domain.test_dispatch_givens import NOW, Story, received

Stop = Callable[[d.TaskOffered, datetime], BaseModel]  # the department's act that stops the clock, at a time


def _accept(task: d.TaskOffered, at: datetime) -> BaseModel:
    return g.TaskAccepted(task_id=task.task_id, case_id="c1", department_id=task.department_id, accepted_at=at)


def _respond(task: d.TaskOffered, at: datetime) -> BaseModel:
    return g.TaskResponded(task_id=task.task_id, case_id="c1", department_id=task.department_id,
                           responded_at=at, message="we called the caller")


def _complete(task: d.TaskOffered, at: datetime) -> BaseModel:
    return g.TaskCompleted(task_id=task.task_id, case_id="c1", department_id=task.department_id,
                           resolution="shed removed", completed_at=at)


def _report_in(task: d.TaskOffered, at: datetime) -> BaseModel:
    return g.TaskReportedIn(task_id=task.task_id, case_id="c1", department_id=task.department_id,
                            whistle_id=task.whistle_id or "", reported_at=at)


def _return(task: d.TaskOffered, at: datetime) -> BaseModel:
    return g.TaskReturned(task_id=task.task_id, case_id="c1", department_id=task.department_id,
                          reason="not_our_remit", returned_at=at)


CLOCKS: dict[str, tuple[Stop, type[BaseModel]]] = {
    "decide": (_accept, d.SlaBreached), "respond": (_respond, d.SlaBreached),
    "resolve": (_complete, d.SlaBreached), "report_in": (_report_in, d.WhistleNoShow)}


class Given:
    """A dispatched case whose history keeps each event's time, as dispatch's ledger does."""

    def __init__(self) -> None:
        self.story = Story(sla=SlaPolicy(decide_within=timedelta(hours=2), respond_within=timedelta(hours=24)))
        self.story.happen(received())
        blown = blow_whistle(self.story.state, "c1", BlowWhistle(
            street_office="street-office", summoned=("housing",), report_in_within=timedelta(minutes=30),
            reason="fire lane blocked", coordinator="wang.li"), self.story.ctx())
        self.story.record(blown)
        self.timed: list[tuple[BaseModel, datetime]] = [(e, NOW) for e in self.story.history]

    def task(self, clock: str) -> d.TaskOffered:
        return self.story.task_of("housing", "whistle_report_in" if clock == "report_in" else "case")

    def timer(self, clock: str, phase: str = "breach") -> TimerSpec:
        return next(t for t in timers_for(self.task(clock), NOW, 0.8) if t.clock == clock and t.phase == phase)

    def happened(self, event: BaseModel, at: datetime) -> Given:
        self.timed.append((event, at))
        return self

    def stopped(self, clock: str, at: datetime) -> Given:
        return self.happened(CLOCKS[clock][0](self.task(clock), at), at)

    def when_fired(self, clock: str, phase: str = "breach") -> list[type]:
        return [type(e) for e in fire(fold(self.timed), self.timer(clock, phase))]


ALL = pytest.mark.parametrize("clock", list(CLOCKS))


def deadline(given: Given, clock: str) -> datetime:
    return given.timer(clock).deadline


@ALL
def test_a_stopping_event_that_arrives_late_but_is_on_time_is_no_breach(clock: str) -> None:
    given = Given()
    # it reaches dispatch long after the deadline (the timer waited for the log), but happened a second before
    given.stopped(clock, deadline(given, clock) - timedelta(seconds=1))
    assert given.when_fired(clock) == []


@ALL
def test_a_stopping_event_that_arrives_late_and_is_late_is_a_breach(clock: str) -> None:
    given = Given()
    given.stopped(clock, deadline(given, clock) + timedelta(seconds=1))
    assert given.when_fired(clock)[0] is CLOCKS[clock][1]


@ALL
def test_a_late_event_that_arrives_before_the_overdue_timer_runs_still_breaches(clock: str) -> None:
    given = Given()
    given.stopped(clock, deadline(given, clock) + timedelta(milliseconds=1))  # folded in, then the timer runs
    assert given.when_fired(clock)[0] is CLOCKS[clock][1]
    on_time = Given().stopped(clock, deadline(given, clock))  # exactly at the deadline is on time
    assert on_time.when_fired(clock) == []


@ALL
def test_the_verdict_is_the_same_when_the_event_arrives_after_a_restart(clock: str) -> None:
    given = Given()
    before = given.when_fired(clock)  # nothing stopped it yet: a breach
    assert before and before[0] is CLOCKS[clock][1]
    # a restarted dispatch folds the same ledger (with times) plus the event it reads after the restart
    restarted = Given().stopped(clock, deadline(given, clock) - timedelta(minutes=1))
    assert restarted.when_fired(clock) == []
    late = Given().stopped(clock, deadline(given, clock) + timedelta(minutes=1))
    assert late.when_fired(clock)[0] is CLOCKS[clock][1]


@pytest.mark.parametrize("clock", ["decide", "respond", "resolve"])
def test_a_warning_only_for_a_clock_still_running(clock: str) -> None:
    warn_at = Given().timer(clock, "warning").due_at
    assert Given().when_fired(clock, "warning") == [d.SlaWarning]
    assert Given().stopped(clock, warn_at - timedelta(seconds=1)).when_fired(clock, "warning") == []



@pytest.mark.parametrize("clock", ["decide", "respond", "resolve"])
def test_a_warning_decided_late_is_owed_once_and_says_its_clock_has_stopped(clock: str) -> None:
    """The clock ran past the warning's time and stopped before the timer ran (dispatch lagged): the warning is
    owed by event time, and it carries the stop so that no reminder goes to a department that has answered."""
    warn_at = Given().timer(clock, "warning").due_at
    stopped = warn_at + timedelta(seconds=1)
    given = Given().stopped(clock, stopped)
    [warning] = fire(fold(given.timed), given.timer(clock, "warning"))
    assert isinstance(warning, d.SlaWarning) and warning.clock_stopped_at == stopped
    [on_time] = fire(fold(Given().timed), Given().timer(clock, "warning"))
    assert isinstance(on_time, d.SlaWarning) and on_time.clock_stopped_at is None


def test_a_return_stops_the_decision_clock_at_its_own_time() -> None:
    given = Given()
    task = given.task("decide")
    assert Given().happened(_return(task, deadline(given, "decide") - timedelta(seconds=1)), NOW).when_fired(
        "decide") == []
    late = Given().happened(_return(task, deadline(given, "decide") + timedelta(seconds=1)), NOW)
    assert late.when_fired("decide")[0] is d.SlaBreached


def test_a_cancelled_task_or_closed_case_stops_its_clocks_when_that_happened() -> None:
    given = Given()
    task = given.task("respond")
    cancel = d.TaskCancelled(task_id=task.task_id, case_id="c1", department_id="housing", reason="case withdrawn")
    assert Given().happened(cancel, deadline(given, "respond") - timedelta(seconds=1)).when_fired("respond") == []
    assert Given().happened(cancel, deadline(given, "respond") + timedelta(seconds=1)).when_fired(
        "respond") == [d.SlaBreached]
    closed = i.CaseClosed(case_id="c1", outcome=None, closed_at=deadline(given, "resolve") + timedelta(seconds=1))
    assert Given().happened(closed, NOW).when_fired("resolve") == [d.SlaBreached]
    assert Given().happened(closed, NOW).when_fired("decide") == [d.SlaBreached]  # nobody accepted before


def test_the_first_stopping_event_sets_the_time_later_ones_do_not_move_it() -> None:
    given = Given()
    on_time = deadline(given, "decide") - timedelta(seconds=5)
    given.stopped("decide", on_time).stopped("respond", deadline(given, "decide") + timedelta(hours=1))
    assert given.when_fired("decide") == []  # responding later does not make the acceptance late
