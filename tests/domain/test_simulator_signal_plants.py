"""The simulator's signal plants (webhook deliveries retried or given up, repeats linked as duplicates,
progress reports) are shaped as the gateway and intake write them, lawful for dispatch, off in the district the
tests with fixed numbers use, and counted in its Truth."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue import gateway as g

from jiesu_dispatch.domain.decider import Context, react
from jiesu_dispatch.domain.state import fold
from jiesu_gateway.config import DEFAULT_RETRY_SCHEDULE
from jiesu_intake.config import IntakeSettings
from jiesu_intake.readmodel import same_problem
from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import DUPLICATE_WINDOW_HOURS, WEBHOOK_RETRY_SCHEDULE, default_scenario, with_signals
from jiesu_simulator.stories import POLICY

SIGNAL_TYPES = {"task.notification_failed.v1", "case.linked_as_duplicate.v1", "task.progress_reported.v1"}
WINDOW = timedelta(hours=DUPLICATE_WINDOW_HOURS)


@pytest.fixture(scope="module")
def district() -> tuple[Truth, list]:  # type: ignore[type-arg]
    scenario = default_scenario(plant_signals=True)
    truth = Truth(planted=scenario.planted)
    return truth, list(generate(cases=1500, seed=8, scenario=scenario, truth=truth))


def test_the_district_the_fixed_number_tests_use_plants_none_of_them() -> None:
    assert not {e.type for e in generate(cases=300, seed=7)} & SIGNAL_TYPES
    assert default_scenario().planted.get("flaky_webhook") is None
    with pytest.raises(ValueError, match="no department"):
        with_signals(default_scenario(), flaky_webhook="nobody")


def test_the_simulator_plays_by_the_gateways_schedule_and_intakes_window() -> None:
    assert WEBHOOK_RETRY_SCHEDULE == tuple(DEFAULT_RETRY_SCHEDULE)
    assert DUPLICATE_WINDOW_HOURS == IntakeSettings.model_fields["duplicate_window_hours"].default


def test_the_planted_log_is_lawful(district) -> None:  # type: ignore[no-untyped-def]
    _, events = district
    assert {e.type for e in events} >= SIGNAL_TYPES
    heads: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[str] = set()
    for previous, envelope in zip([None, *events], events):
        parse_payload(envelope.type, envelope.data)
        assert previous is None or previous.time <= envelope.time
        task = envelope.data.get("task_id") if envelope.source == "/jiesu/gateway" else None
        key = (envelope.source, task or envelope.subject)
        assert envelope.sequence == heads[key] + 1, f"{key} jumped to {envelope.sequence}"
        heads[key] = envelope.sequence
        assert envelope.causationid is None or envelope.causationid in seen
        seen.add(envelope.id)


def test_each_offer_has_one_webhook_outcome_as_the_gateway_writes_it(district) -> None:  # type: ignore[no-untyped-def]
    _, events = district
    offers = {e.data["task_id"]: e for e in events if e.type == "task.offered.v1"}
    outcomes = [e for e in events if e.type in ("task.notified.v1", "task.notification_failed.v1")]
    assert sorted(e.data["task_id"] for e in outcomes) == sorted(offers)
    for outcome in outcomes:
        offer = offers[outcome.data["task_id"]]
        assert (outcome.causationid, outcome.correlationid) == (offer.id, offer.correlationid)
        assert outcome.data["webhook_id"] == offer.id and outcome.data["department_id"] == offer.data["department_id"]
        before = timedelta(seconds=sum(WEBHOOK_RETRY_SCHEDULE[:outcome.data["attempts"]]))
        assert outcome.time - offer.time >= before + timedelta(seconds=1)  # the schedule's waits, at least
        if outcome.type == "task.notification_failed.v1":
            assert outcome.data["attempts"] == len(WEBHOOK_RETRY_SCHEDULE) and outcome.data["last_error"] == "HTTP 503"
        else:
            assert g.TaskNotified.model_validate(outcome.data).delivered_at == outcome.time
    # a department's deliveries about one case go one at a time, in the order of the offers
    by_queue = defaultdict(list)
    for outcome in outcomes:
        offer = offers[outcome.data["task_id"]]
        by_queue[(offer.subject, offer.data["department_id"])].append((offer.time, outcome.time))
    for queue in by_queue.values():
        ends = [end for _, end in sorted(queue)]
        assert ends == sorted(ends)


def test_dispatch_would_not_react_to_a_planted_notification_failure(district) -> None:  # type: ignore[no-untyped-def]
    """The lead department decided before the gateway gave up (else dispatch escalates, unplayed here)."""
    _, events = district
    history: dict[str, list] = defaultdict(list)
    failures = 0
    for envelope in events:
        event = parse_payload(envelope.type, envelope.data)
        history[envelope.subject].append((event, envelope.time))
        if isinstance(event, g.TaskNotificationFailed):
            failures += 1
            ctx = Context(routing=None, sla=POLICY, now=envelope.time, new_id=lambda: "x")  # type: ignore[arg-type]
            assert react(fold(history[envelope.subject]), event, ctx) == []
    assert failures > 5


def test_a_repeat_is_linked_as_intake_links_it(district) -> None:  # type: ignore[no-untyped-def]
    """Appended with its receipt, to the first case still open on the same subject at the same place within the
    window and not itself a duplicate, with intake's reason."""
    _, events = district
    received, closed_at, linked = {}, {}, set()
    links = 0
    for previous, envelope in zip([None, *events], events):
        if envelope.type == "case.received.v1":
            received[envelope.subject] = envelope
        elif envelope.type == "case.closed.v1":
            closed_at[envelope.subject] = envelope.time
        elif envelope.type == "case.linked_as_duplicate.v1":
            links += 1
            mine = received[envelope.subject]
            assert previous is not None and previous.id == mine.id  # straight after its receipt
            assert (envelope.sequence, envelope.time, envelope.causationid, envelope.correlationid) == (
                2, mine.time, None, mine.correlationid)
            place = lambda e: (e.data["category"], *(e.data["place"].get(k) for k in ("district", "street", "community")))  # noqa: E731
            first = next(e for e in received.values() if e.subject != mine.subject and e.subject not in linked
                         and e.data["category"] != "unclassified" and place(e) == place(mine)
                         and e.time >= mine.time - WINDOW and e.subject not in closed_at)
            assert envelope.data["duplicate_of"] == first.subject
            assert envelope.data["reason"] == same_problem(first.subject, mine.data["category"],
                                                           mine.data["place"]["community"], WINDOW).reason
            linked.add(envelope.subject)
    assert links > 20


def test_progress_is_reported_while_a_task_is_worked(district) -> None:  # type: ignore[no-untyped-def]
    _, events = district
    offers = {e.data["task_id"]: e for e in events if e.type == "task.offered.v1"}
    times: dict[tuple[str, str], object] = {}
    for e in events:
        if e.type in ("task.responded.v1", "task.completed.v1"):
            times[(e.data["task_id"], e.type)] = e.time
    reports = [e for e in events if e.type == "task.progress_reported.v1"]
    for report in reports:
        task = report.data["task_id"]
        assert times[(task, "task.responded.v1")] < report.time < times[(task, "task.completed.v1")]  # type: ignore[operator]
        assert report.causationid == offers[task].id
        assert g.TaskProgressReported.model_validate(report.data).reported_at == report.time
    assert len(reports) > 100


def test_the_truth_counts_what_was_planted(district) -> None:  # type: ignore[no-untyped-def]
    truth, events = district
    failed = defaultdict(int)
    for e in events:
        if e.type == "task.notification_failed.v1":
            failed[e.data["department_id"]] += 1
    assert truth.notification_failures == failed
    assert set(failed) == {truth.planted["flaky_webhook"]}
    assert truth.duplicates_linked == sum(e.type == "case.linked_as_duplicate.v1" for e in events)
    assert sum(truth.progress_reports.values()) == sum(e.type == "task.progress_reported.v1" for e in events)
    assert sum(truth.notified.values()) == sum(e.type == "task.notified.v1" for e in events)
    assert sum(truth.notify_attempts.values()) == sum(e.data["attempts"] for e in events if e.type == "task.notified.v1")
    assert sum(truth.returns_by_department.values()) > 50  # the other plants stay
