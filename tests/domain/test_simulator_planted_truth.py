"""The audit finds the silos and delays the simulator planted — read from the log alone (through audit's
projector and read-model queries)."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from jiesu_simulator.offline import generate
from jiesu_simulator.scenario import default_scenario
from tests.domain.audit_readmodel import department_stats, fold, recurring_problems

SCENARIO = default_scenario()


@pytest.fixture(scope="module")
def histories(module_read_models):  # type: ignore[no-untyped-def]  (on SQLite and on PostgreSQL)
    return fold(generate(cases=3000, seed=2026, scenario=SCENARIO))


@pytest.fixture(scope="module")
def totals(histories):  # type: ignore[no-untyped-def]
    """Per department over the whole log: offers, returns, completion times, breaches, whistles."""
    rows = department_stats(histories.values(), period="month", as_of=datetime(2027, 1, 1, tzinfo=UTC))
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        t = out[row["department"]]
        t["offers"] += row["offers"]
        t["returned"] += row["returned"]
        t["respond_breaches"] += row["sla_breaches"].get("respond", 0)
        t["summoned"] += row["whistles"]["summoned"]
        t["no_shows"] += row["whistles"]["no_shows"]
        if row["time_to_complete_seconds"]["count"]:
            t["complete_medians"] = max(t["complete_medians"], row["time_to_complete_seconds"]["median"])
    return out


def test_the_wrong_returner_has_the_highest_return_rate(totals) -> None:  # type: ignore[no-untyped-def]
    busy = {d: t for d, t in totals.items() if t["offers"] >= 50}
    worst = max(busy, key=lambda d: busy[d]["returned"] / busy[d]["offers"])
    assert worst == SCENARIO.planted["wrong_returner"]


def test_the_slow_department_completes_slowest_and_breaches_the_response_clock_most(totals) -> None:  # type: ignore[no-untyped-def]
    busy = {d: t for d, t in totals.items() if t["offers"] >= 50}
    assert max(busy, key=lambda d: busy[d]["complete_medians"]) == SCENARIO.planted["slow_department"]
    assert max(busy, key=lambda d: busy[d]["respond_breaches"] / busy[d]["offers"]) == SCENARIO.planted["slow_department"]


def test_the_whistle_absentee_misses_the_most_whistles(totals) -> None:  # type: ignore[no-untyped-def]
    summoned = {d: t for d, t in totals.items() if t["summoned"] >= 5}
    assert max(summoned, key=lambda d: summoned[d]["no_shows"] / summoned[d]["summoned"]) == \
        SCENARIO.planted["whistle_absentee"]


def test_the_recurring_problem_tops_its_subject(histories) -> None:  # type: ignore[no-untyped-def]
    found = recurring_problems(histories.values(), window_days=30, min_cases=3)
    noise = [r for r in found if r["category"] == "noise"]
    assert noise and noise[0]["place"]["community"] == "Nanluoguxiang"
