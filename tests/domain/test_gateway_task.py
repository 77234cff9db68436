"""The gateway's task rules: only the task's department may act, and only from the right state."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiesu_gateway.domain.task import InvalidTransition, TaskNotFound, TaskView, decide_accept

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
OFFERED = TaskView(task_id="t1", case_id="c1", department_id="housing", status="offered")


def test_the_department_accepts_its_offered_task() -> None:
    event = decide_accept(OFFERED, department_id="housing", now=NOW)
    assert (event.task_id, event.department_id, event.accepted_at) == ("t1", "housing", NOW)


def test_another_departments_task_looks_exactly_like_a_missing_one() -> None:
    with pytest.raises(TaskNotFound):
        decide_accept(OFFERED, department_id="fire-safety", now=NOW)
    with pytest.raises(TaskNotFound):
        decide_accept(None, department_id="fire-safety", now=NOW)


def test_a_task_cannot_be_accepted_twice() -> None:
    accepted = TaskView(task_id="t1", case_id="c1", department_id="housing", status="accepted")
    with pytest.raises(InvalidTransition, match="accepted"):
        decide_accept(accepted, department_id="housing", now=NOW)


# --- the whole life of a task: given a state, when a command, then an event (or a refusal) -------------

from jiesu_shared.catalogue.gateway import (  # noqa: E402
    TaskCompleted,
    TaskProgressReported,
    TaskReportedIn,
    TaskResponded,
    TaskReturned,
)

from jiesu_gateway.domain.task import (  # noqa: E402
    Accept,
    Complete,
    ReportIn,
    ReportProgress,
    Respond,
    Return,
    cancel,
    decide,
    evolve,
)


def given(status: str, kind: str = "case") -> TaskView:
    return TaskView(task_id="t1", case_id="c1", department_id="housing", status=status, kind=kind,  # type: ignore[arg-type]
                    whistle_id="w1" if kind == "whistle_report_in" else None)


def run(task: TaskView, *commands) -> TaskView:  # type: ignore[no-untyped-def]
    for command in commands:
        task = evolve(task, decide(command, task, department_id="housing", now=NOW))
    return task


def test_a_case_task_goes_offered_accepted_responded_completed() -> None:
    task = run(given("offered"), Accept(), Respond(note="called the resident"),
               ReportProgress(note="plumber booked", attachments=("https://files.example/p1.jpg",)))
    assert task.status == "responded"
    event = decide(Complete(resolution="pipe replaced"), task, department_id="housing", now=NOW)
    assert isinstance(event, TaskCompleted) and event.resolution == "pipe replaced"
    assert evolve(task, event).status == "completed"


def test_progress_keeps_the_status_and_carries_its_attachments() -> None:
    task = run(given("offered"), Accept())
    event = decide(ReportProgress(note="on site", attachments=("https://a/1", "https://a/2")), task,
                   department_id="housing", now=NOW)
    assert isinstance(event, TaskProgressReported) and event.attachments == ["https://a/1", "https://a/2"]
    assert evolve(task, event).status == "accepted"


def test_returning_names_the_reason_and_who_should_take_it() -> None:
    event = decide(Return(reason="not_our_remit", note="a matter for the property firm",
                          suggested_department="property-firm"), given("offered"), department_id="housing", now=NOW)
    assert isinstance(event, TaskReturned)
    assert (event.reason, event.suggested_department, event.returned_at) == ("not_our_remit", "property-firm", NOW)
    assert evolve(given("offered"), event).status == "returned"


@pytest.mark.parametrize(("status", "command"), [
    ("offered", Complete(resolution="done")),       # complete before accept
    ("offered", Respond()),                         # respond before accept
    ("offered", ReportProgress(note="x")),
    ("returned", Accept()),                         # accept after return
    ("accepted", Return(reason="other")),           # an accepted task is not returned, it is worked
    ("completed", Complete(resolution="again")),
    ("responded", Respond()),                       # first contact happens once
    ("cancelled", Accept()),
    ("cancelled", Complete(resolution="late")),
])
def test_invalid_transitions_name_the_current_status(status: str, command) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidTransition) as refused:
        decide(command, given(status), department_id="housing", now=NOW)
    assert refused.value.status == status


def test_only_a_whistle_task_reports_in_and_then_it_can_be_completed() -> None:
    with pytest.raises(InvalidTransition, match="whistle"):
        decide(ReportIn(), given("offered"), department_id="housing", now=NOW)
    task = given("offered", kind="whistle_report_in")
    event = decide(ReportIn(note="two officers on site"), task, department_id="housing", now=NOW)
    assert isinstance(event, TaskReportedIn) and event.whistle_id == "w1"
    assert run(task, ReportIn(), Complete(resolution="joint enforcement done")).status == "completed"
    assert run(task, Accept(), ReportIn()).status == "reported_in"


@pytest.mark.parametrize("command", [Accept(), Return(reason="other"), Respond(), ReportProgress(note="x"),
                                     Complete(resolution="x"), ReportIn()])
def test_every_command_on_another_departments_task_looks_like_a_missing_task(command) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TaskNotFound):
        decide(command, given("accepted", kind="whistle_report_in"), department_id="fire-safety", now=NOW)


def test_first_contact_is_recorded_with_its_note() -> None:
    event = decide(Respond(note="visited"), given("accepted"), department_id="housing", now=NOW)
    assert isinstance(event, TaskResponded) and event.note == "visited" and event.responded_at == NOW


def test_cancelling_withdraws_open_tasks_but_not_finished_ones() -> None:
    assert cancel(given("accepted")).status == "cancelled"
    assert cancel(given("offered")).status == "cancelled"
    assert cancel(given("completed")).status == "completed"
    assert cancel(given("returned")).status == "returned"
