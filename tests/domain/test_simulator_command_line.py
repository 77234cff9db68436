"""`jiesu-simulator offline` must write a district of any size in bounded memory: what it keeps about the
truth it planted is counters, never a list that grows with the cases or the returns."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from jiesu_simulator.__main__ import parser, run_offline
from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import default_scenario


def offline(cases: int, out: Path) -> tuple[Truth, dict]:  # type: ignore[type-arg]
    return run_offline(parser().parse_args(["offline", "--cases", str(cases), "--seed", "5", "--out", str(out)]))


def test_the_command_line_keeps_counters_only_whatever_the_number_of_cases(tmp_path: Path) -> None:
    small, _ = offline(100, tmp_path / "small.jsonl")
    large, report = offline(400, tmp_path / "large.jsonl")
    assert report["cases"] == 400 and sum(report["returns_by_department"].values()) > 50  # returns were planted
    assert report["events"] == sum(1 for _ in (tmp_path / "large.jsonl").open())
    json.dumps(report)  # what it prints
    with pytest.raises(ValueError, match="keep_returns"):
        large.returns  # noqa: B018
    # four times the cases (some 100 returns, ~7 KB as a list), the same few counters: the bytes barely move
    assert len(pickle.dumps(large)) < len(pickle.dumps(small)) + 200


def test_the_per_return_list_is_kept_when_asked_for() -> None:
    truth = Truth(planted=default_scenario().planted, keep_returns=True)
    for _ in generate(cases=100, seed=5, truth=truth):
        pass
    assert len(truth.returns) == sum(truth.returns_by_department.values()) > 0
    assert {"case_id", "task_id", "department", "reason", "category", "final_lead"} == set(truth.returns[0])
