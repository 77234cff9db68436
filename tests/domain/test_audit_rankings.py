"""Research-grade rankings: Wilson intervals against scipy and a published value, the composite's
bootstrap reproduced by its seed, a one-case unit listed but not ranked, and the between-/within-street
decomposition of response time — exact on a small hand-made set, and finding the planted slow street in
a simulated district."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from collections import Counter
from importlib import resources

import numpy as np
import pytest
from scipy import stats

from jiesu_audit.queries import rates
from jiesu_audit.queries.confidence import Group, composite_interval, decomposition, wilson
from jiesu_audit.queries.rankings import DEFAULTS, ranked, research_rankings
from jiesu_simulator.offline import generate
from jiesu_simulator.scenario import default_scenario
from tests.domain.audit_readmodel import fresh_database, project

CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
SLOW = "Jingshan"


def test_wilson_equals_scipy_and_the_published_example() -> None:
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)  # Newcombe (1998), Stat Med 17:857
    for k, n in ((0, 10), (1, 1), (7, 9), (50, 50), (123, 400)):
        for level in (0.9, 0.95, 0.99):
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
            assert wilson(k, n, level) == pytest.approx((ci.low, ci.high), abs=1e-6), (k, n, level)
    assert wilson(0, 0) is None


def test_the_composite_interval_is_reproduced_by_its_seed_and_narrows_with_more_cases() -> None:
    rng = np.random.default_rng(1)
    scores = {"response": list(rng.integers(0, 2, 20)), "satisfaction": list(rng.choice([0, 0.8, 1], 20))}
    few = {r: Counter(v) for r, v in scores.items()}
    many = {r: Counter({score: 20 * times for score, times in counted.items()}) for r, counted in few.items()}
    weights = CONFIG["weights"]
    a, b = composite_interval(few, weights, seed=7), composite_interval(few, weights, seed=7)
    assert a == b and a != composite_interval(few, weights, seed=8)
    point = (0.2 * np.mean(scores["response"]) + 0.4 * np.mean(scores["satisfaction"])) / 0.6
    wide, narrow = composite_interval(few, weights), composite_interval(many, weights)
    assert wide[0] < point < wide[1] and narrow[0] < point < narrow[1]
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 3
    assert composite_interval({"response": Counter([1.0])}, weights) is None  # one score: nothing to resample


def test_drawing_how_often_each_score_is_drawn_resamples_as_drawing_the_scores_one_by_one() -> None:
    rng = np.random.default_rng(2)
    scores = {"response": rng.integers(0, 2, 40).astype(float), "satisfaction": rng.choice([0, 0.8, 1], 30)}
    weights = CONFIG["weights"]

    def composite(response: np.ndarray, satisfaction: np.ndarray, axis: int = -1) -> np.ndarray:
        return (0.2 * response.mean(axis=axis) + 0.4 * satisfaction.mean(axis=axis)) / 0.6

    one_by_one = stats.bootstrap(list(scores.values()), composite, n_resamples=20_000, method="percentile",
                                 vectorized=True, rng=np.random.default_rng(3)).confidence_interval
    drawn = composite_interval({r: Counter(v.tolist()) for r, v in scores.items()}, weights, resamples=20_000)
    assert drawn == pytest.approx((one_by_one.low, one_by_one.high), abs=0.01)  # Monte Carlo error: ~0.003


def test_a_rate_is_the_exact_mean_of_its_scores_whatever_their_order() -> None:
    ten = rates.Scores()
    ten.add("satisfaction", 0.8, 10)
    assert sum([0.8] * 10) != 8.0 and ten.points("satisfaction") == 8.0 and ten.count("satisfaction") == 10
    ten.add("satisfaction", None, 5)  # a verdict without a score is not counted
    assert ten.view(CONFIG["weights"])["satisfaction_rate"] == 0.8 and ten.count("satisfaction") == 10


def unit(on_time: int, late: int, satisfied: int, dissatisfied: int) -> rates.Scores:
    u = rates.Scores()
    u.add("response", 1.0, on_time)
    u.add("response", 0.0, late)
    for score, times in ((1.0, satisfied), (0.0, dissatisfied)):
        for _ in range(times):
            u.add("resolution", score)
            u.add("satisfaction", score)
    return u


def test_a_unit_with_one_case_is_listed_but_not_ranked() -> None:
    units = {"lonely": unit(1, 0, 1, 0), "big": unit(80, 20, 70, 30), "bigger": unit(110, 10, 60, 40)}
    rows = ranked("department", units, CONFIG["weights"], DEFAULTS)
    assert [(r["department"], r["rank"]) for r in rows] == [("big", 1), ("bigger", 2), ("lonely", None)]
    lonely = rows[2]
    assert lonely["composite"]["value"] == 1.0 and lonely["composite"]["count"] == 1
    assert lonely["unranked_because"] == "counted 1 times, fewer than 30"
    assert lonely["response"] == {"value": 1.0, "count": 1, "interval": list(wilson(1, 1)), "rank": None}
    assert rows[0]["response"]["rank"] == 2 and rows[1]["response"]["rank"] == 1  # each rate has its own ranking
    everyone = ranked("department", units, CONFIG["weights"], {**DEFAULTS, "min_count": 1})
    assert everyone[0]["department"] == "lonely" and everyone[0]["rank"] == 1


def test_the_decomposition_adds_up_and_equals_a_one_way_anova() -> None:
    values = {"A": [1.0, 2.0, 3.0], "B": [4.0, 6.0], "C": [10.0, 11.0, 12.0, 13.0]}
    groups = [Group(k, len(v), float(np.mean(v)), float(np.sum((np.array(v) - np.mean(v)) ** 2)))
              for k, v in values.items()]
    found = decomposition(groups)
    everything = np.concatenate(list(values.values()))
    assert found["total_ss"] == pytest.approx(np.sum((everything - everything.mean()) ** 2))
    assert found["between_ss"] + found["within_ss"] == pytest.approx(found["total_ss"])
    anova = stats.f_oneway(*values.values())
    assert found["f_statistic"] == pytest.approx(anova.statistic, rel=1e-6)
    assert found["p_value"] == pytest.approx(anova.pvalue, rel=1e-6)
    assert found["degrees_of_freedom"] == [2, 6] and [s["street"] for s in found["streets"]] == ["C", "B", "A"]
    assert found["streets"][2]["sd"] == pytest.approx(1.0)


def rankings_of(scenario, month: str = "2026-01") -> dict:  # type: ignore[no-untyped-def]
    database = fresh_database()
    project(database, generate(cases=1500, seed=21, scenario=scenario))
    with database.reading() as session:
        conn = session.connection()
        return {"research": research_rankings(conn, CONFIG, month=month, as_of=AS_OF, resamples=500),
                "official": rates.three_rates(conn, CONFIG, month=month, as_of=AS_OF)}


@pytest.fixture(scope="module")
def planted() -> dict:
    return rankings_of(replace(default_scenario(), slow_streets={SLOW: 6.0}))


def test_a_slow_street_shows_between_streets(planted) -> None:  # type: ignore[no-untyped-def]
    even = rankings_of(default_scenario())["research"]["response_time_by_street"]
    slow = planted["research"]["response_time_by_street"]
    assert slow["streets"][0]["street"].endswith(SLOW)
    assert slow["streets"][0]["mean_interval"][0] > max(s["mean_interval"][1] for s in slow["streets"][1:])
    assert slow["between_share"] > 0.1 and slow["p_value"] < 1e-9
    assert even["between_share"] < 0.02 and even["p_value"] > 1e-3
    assert slow["count"] == sum(s["count"] for s in slow["streets"]) > 500


def test_the_figures_are_the_official_ones_with_counts_and_intervals(planted) -> None:  # type: ignore[no-untyped-def]
    research, official = planted["research"], planted["official"]
    for kind, label in (("departments", "department"), ("streets", "street")):
        mine = {r[label]: r for r in research[kind]}
        assert set(mine) == {r[label] for r in official[kind]}
        for theirs in official[kind]:
            row = mine[theirs[label]]
            assert row["composite"]["value"] == theirs["composite"]
            for rate in rates.RATES:
                assert (row[rate]["value"], row[rate]["count"]) == (theirs[f"{rate}_rate"], theirs["counted"][rate])
                if row[rate]["count"]:
                    low, high = row[rate]["interval"]
                    assert low <= row[rate]["value"] <= high
            if row["composite"]["interval"]:
                low, high = row["composite"]["interval"]
                assert low - 1e-9 <= row["composite"]["value"] <= high + 1e-9
    assert all((r["rank"] is None) == (r["composite"]["count"] < 30) for r in research["departments"])
    assert any(r["rank"] is None for r in research["departments"])  # the small departments of the district
