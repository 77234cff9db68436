"""Every catalogued event type means something to audit, and the figures from the types that once only
sat on the timeline: webhook delivery, SLA warnings heeded, time awaiting a ruling, counted events."""
from __future__ import annotations

from datetime import timedelta

import pytest

from jiesu_shared.catalogue import EVENT_TYPES, registry
from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i

from jiesu_audit.domain.history import NOT_ABOUT_A_CASE, SHAPING
from jiesu_audit.queries import signals
from tests.domain.audit_known_log import JINGSHAN, ZGC, _Log, _received, t
from tests.domain.audit_readmodel import fold

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL


def test_every_catalogued_type_shapes_the_figures_or_is_about_no_case() -> None:
    neither = set(EVENT_TYPES) - SHAPING - NOT_ABOUT_A_CASE
    assert not neither, f"give these event types a meaning in audit (domain/history.py or signals.py): {neither}"
    assert not SHAPING & NOT_ABOUT_A_CASE
    # no stale declaration: each is a catalogued type or an older name the catalogue upcasts into one
    # (meeting.convened.v1, read as v2, is about no case either)
    assert NOT_ABOUT_A_CASE <= set(EVENT_TYPES) | set(registry.UPCASTERS)


def signals_log() -> list:
    log = _Log()
    # S1 at Jingshan: housing's webhook acknowledged after 90 s on the 2nd attempt; warned at 20 h on the respond
    # clock, first contact at 22 h (deadline 24 h): heeded. property-firm's webhook failed; warned to decide, never
    # decided: not heeded. Escalated 11-02 09:00, ruled by coord-li at 11:00: waited 7200 s.
    _received(log, t(1, 8), "S1", JINGSHAN)
    log.offer(t(1, 8), "A1", "S1", "housing", JINGSHAN)
    log.offer(t(1, 8), "A2", "S1", "property-firm", JINGSHAN, role="supporting")
    log.add(t(1, 8), g.TaskNotified(task_id="A1", case_id="S1", department_id="housing", webhook_id="w1",
                                    attempts=2, delivered_at=t(1, 8) + timedelta(seconds=90)))
    log.add(t(1, 9), g.TaskNotificationFailed(task_id="A2", case_id="S1", department_id="property-firm",
                                              webhook_id="w2", attempts=5, last_error="timeout"))
    log.add(t(1, 8, 30), g.TaskAccepted(task_id="A1", case_id="S1", department_id="housing", accepted_at=t(1, 8, 30)))
    log.add(t(2, 4), d.SlaWarning(task_id="A1", case_id="S1", department_id="housing", clock="respond",
                                  deadline=t(2, 8)))
    log.add(t(1, 9), d.SlaWarning(task_id="A2", case_id="S1", department_id="property-firm", clock="decide",
                                  deadline=t(1, 10)))
    log.add(t(2, 6), g.TaskResponded(task_id="A1", case_id="S1", department_id="housing", responded_at=t(2, 6),
                                     note="called"))
    log.add(t(2, 9), d.CaseEscalated(case_id="S1", reason="returned 3 times", return_count=3))
    log.add(t(2, 11), d.CaseDispatched(case_id="S1", lead_department="housing", supporting_departments=[],
                                       rule="ruling", coordinator="coord-li"))
    log.add(t(3, 9), g.TaskProgressReported(task_id="A1", case_id="S1", department_id="housing", note="pipes",
                                            reported_at=t(3, 9)))
    log.add(t(4, 9), i.CallbackDue(case_id="S1", lead_department="housing", handled_at=t(4, 9), resolution="fixed",
                                   round=0))
    # S2 at Zhongguancun: a duplicate of S1's subject elsewhere, rerouted, escalated and still waiting.
    _received(log, t(3, 8), "S2", ZGC)
    log.add(t(3, 8), i.CaseLinkedAsDuplicate(case_id="S2", duplicate_of="S9", reason="same subject"))
    log.add(t(3, 10), d.CaseRerouted(case_id="S2", from_department="housing", to_department="urban-management",
                                     reason="next rule candidate", return_count=1))
    log.add(t(3, 12), d.CaseEscalated(case_id="S2", reason="returned 3 times", return_count=3))
    return log.events


def ask(work, **kwargs):  # type: ignore[no-untyped-def]
    model = fold(signals_log())
    with model.database.reading() as session:
        return work(session.connection(), **kwargs)


def test_webhook_delivery_time_and_failures_per_department() -> None:
    rows = {r["department"]: r for r in ask(signals.deliveries, period="month", first=None, last=None)}
    assert rows["housing"] == {"department": "housing", "period": "2026-11", "offers": 1, "delivered": 1,
                               "attempts": 2, "failures": 0,
                               "delivery_seconds": {"count": 1, "median": 90.0, "p90": 90.0}}
    assert (rows["property-firm"]["delivered"], rows["property-firm"]["failures"]) == (0, 1)


def test_sla_warnings_heeded_when_the_act_came_after_the_warning_by_the_deadline() -> None:
    rows = ask(signals.sla_warnings, period="day", first=None, last=None)
    assert [(r["department"], r["period"], r["clock"], r["warnings"], r["heeded"]) for r in rows] == [
        ("housing", "2026-11-02", "respond", 1, 1), ("property-firm", "2026-11-01", "decide", 1, 0)]


def test_a_warning_decided_after_its_clock_stopped_counts_as_heeded_when_the_act_met_the_deadline() -> None:
    log = _Log()  # dispatch lagged: first contact at 22 h, the 20 h warning decided at 23 h, deadline 24 h
    _received(log, t(1, 8), "S3", JINGSHAN)
    log.offer(t(1, 8), "A3", "S3", "housing", JINGSHAN)
    log.add(t(1, 8, 30), g.TaskAccepted(task_id="A3", case_id="S3", department_id="housing", accepted_at=t(1, 8, 30)))
    log.add(t(2, 6), g.TaskResponded(task_id="A3", case_id="S3", department_id="housing", responded_at=t(2, 6),
                                     note="called"))
    log.add(t(2, 7), d.SlaWarning(task_id="A3", case_id="S3", department_id="housing", clock="respond",
                                  deadline=t(2, 8), clock_stopped_at=t(2, 6)))
    model = fold(log.events)
    with model.database.reading() as session:
        rows = signals.sla_warnings(session.connection(), period="month", first=None, last=None)
    assert [(r["department"], r["warnings"], r["heeded"]) for r in rows] == [("housing", 1, 1)]


def test_time_awaiting_a_ruling_per_street_and_coordinator() -> None:
    found = ask(signals.awaiting_rulings, first="2026-11", last="2026-11")
    assert found["streets"] == [
        {"street": "Dongcheng/Jingshan", "escalations": 1, "ruled": 1, "awaiting": 0,
         "waited_seconds": {"count": 1, "median": 7200.0, "p90": 7200.0}},
        {"street": "Haidian/Zhongguancun", "escalations": 1, "ruled": 0, "awaiting": 1,
         "waited_seconds": {"count": 0, "median": None, "p90": None}}]
    assert found["coordinators"] == [{"coordinator": "coord-li", "escalations": 1, "ruled": 1, "awaiting": 0,
                                      "waited_seconds": {"count": 1, "median": 7200.0, "p90": 7200.0}}]
    assert ask(signals.awaiting_rulings, first="2026-12", last=None) == {"streets": [], "coordinators": []}


def test_duplicates_callbacks_due_reroutes_and_progress_are_counted() -> None:
    rows = ask(signals.counted, period="month", first=None, last=None)
    assert [(r["kind"], r["department"], r["count"]) for r in rows] == [
        ("callback_due", "housing", 1), ("duplicate_linked", None, 1), ("progress_reported", "housing", 1),
        ("rerouted", "urban-management", 1)]
