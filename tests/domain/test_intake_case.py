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


# ---- the call-back cycle (回访), reclassification, withdrawal and duplicates ----

from jiesu_shared.catalogue.intake import (CallbackDue, CallbackRecorded, CaseClosed, CaseLinkedAsDuplicate,  # noqa: E402
                                           CaseReclassified, CaseReopened, CaseWithdrawn)

from jiesu_intake.domain.case import (EarlierCase, Refused, decide_callback, decide_callback_due,  # noqa: E402
                                      decide_close, decide_reclassify, decide_reopen, decide_withdraw)


def fold(*events: object) -> CaseState:
    state = None
    for event in events:
        state = evolve(state, event)
    assert state is not None
    return state


def received() -> CaseState:
    (event,) = decide_receive(command("heating"), None)
    return fold(event)


def handled(state: CaseState) -> CaseState:
    (due,) = decide_callback_due(state, lead_department="heating-co", handled_at=NOW, resolution="fixed")
    assert isinstance(due, CallbackDue) and due.round == state.round
    return evolve(state, due)  # type: ignore[return-value]


def verdict(state: CaseState, outcome: str, satisfaction: str, reason: str | None = None) -> CaseState:
    (event,) = decide_callback(state, outcome=outcome, unresolvable_reason=reason,  # type: ignore[arg-type]
                               satisfaction=satisfaction, operator="op-1", now=NOW)  # type: ignore[arg-type]
    assert isinstance(event, CallbackRecorded)
    return evolve(state, event)  # type: ignore[return-value]


def test_a_case_is_called_back_only_after_dispatch_reports_it_handled() -> None:
    with pytest.raises(Refused, match="received"):
        decide_callback(received(), outcome="resolved_satisfied", unresolvable_reason=None,
                        satisfaction="satisfied", operator="op-1", now=NOW)
    state = handled(received())
    assert state.status == "awaiting_callback"
    assert decide_callback_due(state, lead_department="x", handled_at=NOW, resolution="again") == []


def test_resolved_and_satisfied_closes_with_its_outcome_and_cannot_be_reopened() -> None:
    state = verdict(handled(received()), "resolved_satisfied", "satisfied")
    with pytest.raises(Refused, match="close the case instead"):
        decide_reopen(state, reason="?")
    (closed,) = decide_close(state, now=NOW)
    assert isinstance(closed, CaseClosed) and (closed.outcome, closed.satisfaction) == ("resolved_satisfied", "satisfied")
    assert evolve(state, closed).status == "closed"  # type: ignore[union-attr]


def test_an_unresolved_case_is_reopened_goes_back_and_is_called_back_again() -> None:
    state = verdict(handled(received()), "unresolvable", "dissatisfied", reason="coordination_timeout")
    (reopened,) = decide_reopen(state, reason="the radiator is still cold")
    assert isinstance(reopened, CaseReopened) and reopened.reopen_count == 1
    state = evolve(state, reopened)  # type: ignore[assignment]
    assert state.status == "reopened"
    state = verdict(handled(state), "resolved_satisfied", "basically_satisfied")
    assert decide_close(state, now=NOW)[0].outcome == "resolved_satisfied"


def test_unresolvable_needs_its_reason_and_other_outcomes_take_none() -> None:
    state = handled(received())
    with pytest.raises(Refused, match="reason"):
        verdict(state, "unresolvable", "dissatisfied")
    with pytest.raises(Refused, match="reason"):
        verdict(state, "resolved_satisfied", "satisfied", reason="outside_remit")


def test_withdrawal_closes_without_an_outcome_and_finished_cases_refuse_more() -> None:
    withdrawn, closed = decide_withdraw(received(), reason="solved it myself", now=NOW)
    assert isinstance(withdrawn, CaseWithdrawn) and isinstance(closed, CaseClosed) and closed.outcome is None
    state = fold(*decide_receive(command("heating"), None), withdrawn, closed)
    assert state.status == "withdrawn"
    for attempt in (lambda: decide_withdraw(state, reason="again", now=NOW),
                    lambda: decide_reclassify(state, category="noise", request_type=None, urgency="normal",
                                              operator="op", reason="x")):
        with pytest.raises(Refused, match="withdrawn"):
            attempt()
    assert decide_callback_due(state, lead_department="x", handled_at=NOW, resolution="late") == []


def test_reclassification_is_an_event_and_a_no_op_is_nothing() -> None:
    state = received()
    (event,) = decide_reclassify(state, category="noise", request_type="complaint", urgency="urgent",
                                 operator="op-7", reason="it is the boiler room's noise")
    assert isinstance(event, CaseReclassified) and event.operator == "op-7"
    state = evolve(state, event)  # type: ignore[assignment]
    assert (state.category, state.urgency) == ("noise", "urgent")
    assert decide_reclassify(state, category="noise", request_type="complaint", urgency="urgent",
                             operator="op-7", reason="again") == []


def test_a_duplicate_is_linked_to_the_earlier_case_not_merged() -> None:
    events = decide_receive(command("heating"), None, EarlierCase(case_id="c0", reason="same subject"))
    assert [type(e) for e in events][1] is CaseLinkedAsDuplicate
    assert fold(*events).duplicate_of == "c0" and fold(*events).status == "received"
