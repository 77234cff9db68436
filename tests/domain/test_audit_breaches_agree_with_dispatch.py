"""Audit's breach counts are dispatch's breach events, department by department and clock by clock: a
breach is a fact dispatch decides (by event time) and audit only counts, never re-judges. Checked on a
simulated district whose deadlines, warnings and breaches come from dispatch's own policy code."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from jiesu_simulator.offline import generate
from jiesu_simulator.scenario import default_scenario
from tests.domain.audit_readmodel import department_stats, fold

pytestmark = pytest.mark.usefixtures("read_models")  # on SQLite and on PostgreSQL


def test_audits_breach_counts_equal_dispatchs_breach_events() -> None:
    events = list(generate(cases=1500, seed=1313, scenario=default_scenario()))
    on_the_log = Counter((e.data["department_id"], e.data["clock"]) for e in events if e.type == "sla.breached.v1")
    counted: Counter[tuple[str, str]] = Counter()
    for row in department_stats(fold(events).values(), period="month", as_of=datetime(2030, 1, 1, tzinfo=UTC)):
        for clock, n in row["sla_breaches"].items():
            counted[(row["department"], clock)] += n
    assert sum(on_the_log.values()) > 50, "the district should breach often enough for this to mean something"
    assert {clock for _, clock in on_the_log} >= {"respond"}
    assert counted == on_the_log
