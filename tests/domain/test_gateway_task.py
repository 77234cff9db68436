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
