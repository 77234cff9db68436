"""Intake's decider."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiesu_shared.catalogue.common import Place

from jiesu_intake.domain.case import CaseAlreadyExists, CaseState, ReceiveCase, decide_receive, evolve

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def command(category: str | None) -> ReceiveCase:
    return ReceiveCase(case_id="c1", channel="web_board", text="  暖气不热 radiator cold  ", category=category,
                       place=Place(district="Chaoyang", street="Jinsong"), received_at=NOW)


def test_a_request_without_a_category_is_kept_as_unclassified_not_rejected() -> None:
    (event,) = decide_receive(command(None), None)
    assert event.category == "unclassified"
    assert event.text == "暖气不热 radiator cold"
    assert evolve(None, event) == CaseState(case_id="c1", status="received", category="unclassified")


def test_the_same_case_cannot_be_received_twice() -> None:
    with pytest.raises(CaseAlreadyExists):
        decide_receive(command("heating"), CaseState(case_id="c1", status="received", category="heating"))
