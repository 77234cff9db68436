"""The new figures narrowed to one unit: a department's webhook deliveries, SLA warnings and counted events;
one street's or one coordinator's escalations — each the unfiltered answer's share, worked out by hand."""
from __future__ import annotations

from jiesu_audit.queries import signals
from tests.domain.test_audit_signals import ask


def test_a_department_sees_its_own_deliveries_warnings_and_counted_events() -> None:
    housing = ask(signals.deliveries, period="month", first=None, last=None, department="housing")
    assert [(r["department"], r["delivered"], r["failures"]) for r in housing] == [("housing", 1, 0)]
    warned = ask(signals.sla_warnings, period="day", first=None, last=None, department="property-firm")
    assert [(r["department"], r["clock"], r["warnings"], r["heeded"]) for r in warned] == [
        ("property-firm", "decide", 1, 0)]
    counted = ask(signals.counted, period="month", first=None, last=None, department="housing")
    assert counted and {r["department"] for r in counted} == {"housing"}
    everything = ask(signals.counted, period="month", first=None, last=None)
    assert counted == [r for r in everything if r["department"] == "housing"]
    assert ask(signals.deliveries, period="month", first=None, last=None, department="nobody") == []


def test_rulings_narrowed_to_a_street_or_a_coordinator() -> None:
    everything = ask(signals.awaiting_rulings, first=None, last=None)
    streets = [r["street"] for r in everything["streets"]]
    assert len(streets) == 2  # S1's and S2's
    s1_street = next(r["street"] for r in everything["streets"] if r["ruled"] == 1)
    one_street = ask(signals.awaiting_rulings, first=None, last=None, street=s1_street)
    assert [(r["street"], r["escalations"], r["ruled"]) for r in one_street["streets"]] == [(s1_street, 1, 1)]
    assert [(r["coordinator"], r["waited_seconds"]["median"]) for r in one_street["coordinators"]] == [
        ("coord-li", 7200.0)]
    other = next(s for s in streets if s != s1_street)
    elsewhere = ask(signals.awaiting_rulings, first=None, last=None, street=other)
    assert [(r["street"], r["awaiting"]) for r in elsewhere["streets"]] == [(other, 1)]
    assert elsewhere["coordinators"] == []  # still waiting there: nobody ruled
    by_li = ask(signals.awaiting_rulings, first=None, last=None, coordinator="coord-li")
    assert [(r["street"], r["ruled"]) for r in by_li["streets"]] == [(s1_street, 1)]
