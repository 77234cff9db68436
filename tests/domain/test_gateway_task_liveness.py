"""Which tasks give their department a need to know the citizen's details: live ones only."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiesu_gateway.domain.task import Accept, Complete, Return, TaskView, cancel, decide, evolve, is_live

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def task(status: str) -> TaskView:
    return TaskView(task_id="t1", case_id="c1", department_id="housing", status=status)


@pytest.mark.parametrize("status", ["offered", "accepted", "responded", "reported_in"])
def test_an_open_task_is_live(status: str) -> None:
    assert is_live(task(status))


@pytest.mark.parametrize("status", ["returned", "cancelled", "completed"])
def test_a_returned_withdrawn_or_finished_task_is_not(status: str) -> None:
    assert not is_live(task(status))


def test_a_task_stops_being_live_as_it_is_returned_completed_or_cancelled() -> None:
    offered = task("offered")
    returned = evolve(offered, decide(Return(reason="not_our_remit"), offered, department_id="housing", now=NOW))
    accepted = evolve(offered, decide(Accept(), offered, department_id="housing", now=NOW))
    completed = evolve(accepted, decide(Complete(resolution="fixed"), accepted, department_id="housing", now=NOW))
    assert [is_live(t) for t in (returned, accepted, completed, cancel(accepted))] == [False, True, False, False]
