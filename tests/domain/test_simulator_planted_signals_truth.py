"""Audit's signal figures equal what the simulator planted, counted in its Truth, read from the log alone
(through audit's projector and read-model queries, on SQLite and on PostgreSQL): webhook deliveries, their
attempts and those given up per department, duplicates linked, progress reports per department."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from jiesu_audit.queries import signals
from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import default_scenario
from tests.domain.audit_readmodel import fold

SCENARIO = default_scenario(plant_signals=True)


@pytest.fixture(scope="module")
def planted(module_read_models) -> tuple[Truth, Any]:  # type: ignore[no-untyped-def]  (on SQLite and PostgreSQL)
    truth = Truth(planted=SCENARIO.planted)
    read_model = fold(generate(cases=2000, seed=2026, scenario=SCENARIO, truth=truth))
    return truth, read_model.database


def ask(database, query, **kwargs: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        return query(session.connection(), period="month", first=None, last=None, **kwargs)


def test_webhook_deliveries_and_failures_per_department_are_the_planted_ones(planted) -> None:  # type: ignore[no-untyped-def]
    truth, database = planted
    offers, delivered, attempts, failures = Counter(), Counter(), Counter(), Counter()
    for row in ask(database, signals.deliveries):
        offers[row["department"]] += row["offers"]
        delivered[row["department"]] += row["delivered"]
        attempts[row["department"]] += row["attempts"]
        failures[row["department"]] += row["failures"]
    assert +failures == truth.notification_failures and sum(failures.values()) > 10
    assert delivered == truth.notified
    assert attempts == truth.notify_attempts and attempts[SCENARIO.planted["flaky_webhook"]] > \
        delivered[SCENARIO.planted["flaky_webhook"]]  # retried deliveries took more than one attempt
    assert offers == truth.notified + truth.notification_failures


def test_duplicates_linked_and_progress_reports_are_the_planted_ones(planted) -> None:  # type: ignore[no-untyped-def]
    truth, database = planted
    counted: Counter[tuple[str, str | None]] = Counter()
    for row in ask(database, signals.counted):
        counted[(row["kind"], row["department"])] += row["count"]
    assert counted[("duplicate_linked", None)] == truth.duplicates_linked > 20
    progress = Counter({department: n for (kind, department), n in counted.items() if kind == "progress_reported"})
    assert progress == truth.progress_reports and sum(progress.values()) > 100
    # narrowed to the slow department, its own progress reports
    slow = SCENARIO.planted["slow_department"]
    mine = ask(database, signals.counted, department=slow)
    assert sum(r["count"] for r in mine if r["kind"] == "progress_reported") == truth.progress_reports[slow]
