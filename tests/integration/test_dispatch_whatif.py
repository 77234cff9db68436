"""Dispatch's what-if: a simulated district whose property firm wrongly returns property cases as "not
our remit" (the scenario's planted wrong returner), replayed under a table that gives property
management to the street office — the department that took those cases in the end. The report must name
exactly the returns that disappear, read from the embedded log and from a JSON Lines export alike."""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from jiesu_dispatch.rules import __file__ as rules_init
from jiesu_dispatch.whatif.cli import main
from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import default_scenario
from jiesu_simulator.sinks import publish_to_bus, write_jsonl

SCENARIO = default_scenario()
WRONG_RETURNER = SCENARIO.planted["wrong_returner"]  # property-firm
RIGHT = "street-office"
TOPIC = "jiesu.case-events"


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Truth, list]:  # type: ignore[no-untyped-def]
    truth = Truth(planted=SCENARIO.planted, keep_returns=True)  # expected_avoided reads every return
    return truth, list(generate(cases=600, seed=15, scenario=SCENARIO, truth=truth))


@pytest.fixture(scope="module")
def new_rules(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    table = json.loads((Path(rules_init).parent / "default_routing.json").read_text())
    table["version"] = "2026-12-property-to-streets"
    for rule in table["rules"]:
        if rule["category"] == "property_management":
            rule["lead"] = RIGHT
    path = tmp_path_factory.mktemp("rules") / "new_rules.json"
    path.write_text(json.dumps(table))
    return path


def run(log: Path, rules: Path, out: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    assert main(["--log", str(log), "--routing", str(rules), "--json", str(out), *extra]) == 0
    return json.loads(out.read_text())


def expected_avoided(truth: Truth) -> set[tuple[str, str]]:
    return {(r["case_id"], r["task_id"]) for r in truth.returns
            if r["department"] == WRONG_RETURNER and r["reason"] == "not_our_remit" and r["final_lead"] == RIGHT}


def test_the_report_names_exactly_the_returns_that_disappear(  # type: ignore[no-untyped-def]
        district, new_rules, tmp_path, capsys) -> None:
    truth, events = district
    log = tmp_path / "events.jsonl"
    write_jsonl(events, log)
    report = run(log, new_rules, tmp_path / "report.json")

    named = {(r["case_id"], r["task_id"]) for r in report["returns_avoided"]}
    expected = expected_avoided(truth)
    assert named == expected and len(report["returns_avoided"]) == len(expected)
    # some of the firm's returns stay: the street office returned those too and a ruling gave them back
    planted = [r for r in truth.returns if r["department"] == WRONG_RETURNER]
    assert 10 < len(expected) < len(planted)
    assert {r["returned_by"] for r in report["returns_avoided"]} == {WRONG_RETURNER}
    assert {r["eventual_owner"] for r in report["returns_avoided"]} == {RIGHT}

    departments = {r["department"]: r for r in report["departments"]}
    firm = departments[WRONG_RETURNER]
    assert firm["returns_avoided"] == len(expected) and firm["returns_not_our_remit"] == len(planted)
    assert firm["lead_offers_after"] == 0 and firm["lead_moved_out"] == firm["lead_offers_before"]
    assert departments[RIGHT]["lead_moved_in"] >= firm["lead_moved_out"]
    flows = {(f["role"], f["from"], f["to"]): f["offers"] for f in report["offers_moved"]}
    assert flows[("lead", WRONG_RETURNER, RIGHT)] == firm["lead_offers_before"]

    by_street = Counter(r["street"] for r in report["returns_avoided"])
    assert {s["street"]: s["returns_avoided"] for s in report["streets"] if s["returns_avoided"]} == dict(by_street)
    assert sum(s["cases"] for s in report["streets"]) == report["cases"] == truth.cases
    printed = capsys.readouterr().out
    assert "Per department" in printed and f"avoided: {len(expected)}" in printed


def test_the_embedded_log_gives_the_same_report_and_a_period_bounds_it(  # type: ignore[no-untyped-def]
        district, new_rules, tmp_path) -> None:
    truth, events = district
    jsonl, embedded = tmp_path / "events.jsonl", tmp_path / "log.sqlite3"
    write_jsonl(events, jsonl)
    asyncio.run(publish_to_bus(events, EmbeddedBus(embedded), TOPIC))
    from_file = run(jsonl, new_rules, tmp_path / "a.json")
    from_log = run(embedded, new_rules, tmp_path / "b.json")
    assert from_log == from_file and from_log["problems"] == []

    received = sorted(e.data["received_at"] for e in events if e.type == "case.received.v1")
    middle = str(received[len(received) // 2])
    first_half = run(embedded, new_rules, tmp_path / "c.json", "--to", middle)
    second_half = run(embedded, new_rules, tmp_path / "d.json", "--from", middle)
    assert first_half["cases"] + second_half["cases"] == truth.cases
    assert len(first_half["returns_avoided"]) + len(second_half["returns_avoided"]) == len(from_log["returns_avoided"])


def test_a_bad_line_is_reported_and_a_bad_table_fails_clearly(  # type: ignore[no-untyped-def]
        district, new_rules, tmp_path, capsys) -> None:
    _, events = district
    log = tmp_path / "events.jsonl"
    write_jsonl(events[:50], log)
    with log.open("a") as f:
        f.write('{"not": "an event"}\n')
    report = run(log, new_rules, tmp_path / "r.json")
    assert [p["position"] for p in report["problems"]] == ["line 51"]

    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "x", "rules": []}')
    assert main(["--log", str(log), "--routing", str(bad)]) == 2
    assert "a routing table needs" in capsys.readouterr().err
