"""The audit's figures over a hand-made log, against answers worked out by hand in audit_known_log.py: the
events go through audit's projector into its read-model tables, and each figure is its query."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from jiesu_audit.domain.intervals import intervals_of
from tests.domain.audit_readmodel import (department_stats, fold, handover_network, outcome_mix,
                                          recurring_problems, three_rates)
from tests.domain.audit_known_log import AS_OF, C1, C2, C3, C4, known_log

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL

CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())


def histories():
    return fold(known_log())


def test_case_1_intervals_returns_and_flying_time() -> None:
    i = intervals_of(histories()[C1], AS_OF)
    assert i["waiting_for_dispatch_seconds"] == 300
    assert i["flying_seconds"] == 7200 and i["flying_now"] is False
    assert i["accepted_to_first_contact_seconds"] == 7200
    assert i["accepted_to_completed_seconds"] == 172800
    assert [(c["after_handled_seconds"], c["outcome"]) for c in i["callbacks"]] == [(75600, "resolved_satisfied")]
    assert i["received_to_closed_seconds"] == 262800
    assert i["returns"] == [{"from": "property-firm", "to": "housing", "reason": "not_our_remit",
                             "returned_at": "2026-11-01T08:35:00Z", "cost_seconds": 2100}]
    assert [(o["task_id"], o["outcome"], o["decided_after_seconds"]) for o in i["offers"]] == [
        ("T1", "returned", 1800), ("T2", "completed", 5700), ("T3", "completed", 4800)]


def test_case_2_ping_pong_reopening_and_flying_across_the_reopening() -> None:
    i = intervals_of(histories()[C2], AS_OF)
    assert i["flying_seconds"] == 9000 + 3600
    assert i["reopenings"] == {"count": 1, "at": ["2026-11-09T11:00:00Z"]}
    assert [(r["from"], r["to"], r["cost_seconds"]) for r in i["returns"]] == [
        ("property-firm", "housing", 1200), ("housing", "property-firm", 4200)]
    assert [c["after_handled_seconds"] for c in i["callbacks"]] == [86400, 86400]
    assert i["offers"][2]["sla_breaches"] == ["respond"]


def test_case_3_whistle_meeting_and_an_open_case() -> None:
    i = intervals_of(histories()[C3], AS_OF)
    assert i["waiting_for_dispatch_seconds"] == 1800
    assert i["flying_seconds"] == 3600 and i["accepted_to_first_contact_seconds"] == 1800
    assert i["received_to_closed_seconds"] is None and i["accepted_to_completed_seconds"] is None
    assert i["whistles"] == [{"whistle_id": "W1", "street_office": "jingshan-street",
                              "blown_at": "2026-11-20T10:00:00Z", "summoned": ["urban-management", "fire-safety"],
                              "reported_in_after_seconds": {"urban-management": 3600}, "no_shows": ["fire-safety"]}]
    assert i["meeting_tasks"] == [{"task_id": "T11", "meeting_id": "M1", "owner": "housing",
                                   "deadline": "2026-11-25T00:00:00Z", "completed_at": None, "open": True,
                                   "overdue": True}]


def test_events_about_no_case_are_tolerated() -> None:
    assert set(histories()) == {C1, C2, C3, C4}  # not the meeting M1, not the department "housing"


def test_department_stats_per_month() -> None:
    rows = {r["department"]: r for r in department_stats(histories().values(), period="month", as_of=AS_OF)}
    assert set(rows) == {"property-firm", "housing", "urban-management", "fire-safety"}
    assert {r["period"] for r in rows.values()} == {"2026-11"}
    pf = rows["property-firm"]  # T1 T4 T6 T7: decide 1800 600 3600 1800 → median 1800, p90 (rank 4 of 4) 3600
    assert (pf["offers"], pf["accepted"], pf["returned"], pf["acceptance_rate"], pf["return_rate"]) == (4, 2, 2, 0.5, 0.5)
    assert pf["returns_by_reason"] == {"not_our_remit": 1, "wrong_jurisdiction": 1}
    assert pf["time_to_decide_seconds"] == {"count": 4, "median": 1800, "p90": 3600}
    assert pf["time_to_respond_seconds"] == {"count": 1, "median": 82800, "p90": 82800}
    assert pf["time_to_complete_seconds"] == {"count": 2, "median": 259200, "p90": 259200}
    assert pf["sla_breaches"] == {"respond": 1}
    housing = rows["housing"]  # T3 T5 T8 (T11 is a meeting task): decide 4800 3600 1800; respond 7200 1800
    assert (housing["offers"], housing["accepted"], housing["returned"]) == (3, 2, 1)
    assert (housing["acceptance_rate"], housing["return_rate"]) == (0.666667, 0.333333)
    assert housing["time_to_decide_seconds"] == {"count": 3, "median": 3600, "p90": 4800}
    assert housing["time_to_respond_seconds"] == {"count": 2, "median": 4500, "p90": 7200}
    assert housing["meeting_tasks"] == {"open": 1, "overdue": 1}
    um = rows["urban-management"]  # T2 T12: decide 5700 1800; complete 181200 91800
    assert um["time_to_decide_seconds"] == {"count": 2, "median": 3750, "p90": 5700}
    assert um["time_to_complete_seconds"] == {"count": 2, "median": 136500, "p90": 181200}
    assert um["whistles"] == {"summoned": 1, "reported_in": 1, "no_shows": 0,
                              "report_in_seconds": {"count": 1, "median": 3600, "p90": 3600}}
    assert rows["fire-safety"]["whistles"]["no_shows"] == 1 and rows["fire-safety"]["offers"] == 0


def test_handover_network_ping_pong_and_multi_department_cases() -> None:
    network = handover_network(histories().values())
    assert network["edges"] == [
        {"from": "housing", "to": "property-firm", "returns": 1, "total_cost_seconds": 4200, "median_cost_seconds": 4200},
        {"from": "property-firm", "to": "housing", "returns": 2, "total_cost_seconds": 3300, "median_cost_seconds": 1650}]
    assert network["ping_pong"] == [{"case_id": C2, "chain": ["property-firm", "housing", "property-firm"], "bounces": 1}]
    assert network["multi_department_cases"] == [
        {"case_id": C1, "departments": ["housing", "urban-management"], "slowest_department": "urban-management",
         "slowest_seconds": 181200, "still_open": False}]


def test_three_rates_and_monthly_ranking() -> None:
    # response: housing T3 T8 on time (2/2); property-firm T6 never (breached), T7 on time (1/2); urban-management
    # T12 late (0/1). Call-backs: housing C1 resolved+satisfied; property-firm C2 neither+dissatisfied and
    # satisfied_unresolved+basically (0.8); urban-management C4 resolved+dissatisfied.
    # composite = 0.2·response + 0.4·resolution + 0.4·satisfaction
    rates = three_rates(histories().values(), CONFIG, month="2026-11", as_of=AS_OF)
    departments = [(r["rank"], r["department"], r["response_rate"], r["resolution_rate"], r["satisfaction_rate"],
                    r["composite"]) for r in rates["departments"]]
    assert departments == [(1, "housing", 1.0, 1.0, 1.0, 1.0),
                           (2, "urban-management", 0.0, 1.0, 0.0, 0.4),
                           (3, "property-firm", 0.5, 0.0, 0.4, 0.26)]
    # Jingshan: response 3/4, resolution 1/3, satisfaction (1 + 0 + 0.8)/3 = 0.6 → 0.15 + 0.133333 + 0.24
    streets = [(r["rank"], r["street"], r["response_rate"], r["resolution_rate"], r["satisfaction_rate"],
                r["composite"]) for r in rates["streets"]]
    assert streets == [(1, "Dongcheng/Jingshan", 0.75, 0.333333, 0.6, 0.523333),
                       (2, "Haidian/Zhongguancun", 0.0, 1.0, 0.0, 0.4)]
    assert three_rates(histories().values(), CONFIG, month="2026-10", as_of=AS_OF)["departments"] == []


def test_weights_come_from_the_configuration() -> None:
    only_response = {**CONFIG, "weights": {"response": 1.0, "resolution": 0.0, "satisfaction": 0.0}}
    rates = three_rates(histories().values(), only_response, month="2026-11", as_of=AS_OF)
    assert [(r["department"], r["composite"]) for r in rates["departments"]] == [
        ("housing", 1.0), ("property-firm", 0.5), ("urban-management", 0.0)]
    strict = {**CONFIG, "satisfaction": {**CONFIG["satisfaction"], "scores": {"satisfied": 1.0}}}
    by_name = {r["department"]: r for r in three_rates(histories().values(), strict, month="2026-11",
                                                       as_of=AS_OF)["departments"]}
    assert by_name["property-firm"]["satisfaction_rate"] is None  # unscored verdicts are left out
    assert by_name["property-firm"]["counted"]["satisfaction"] == 0


def test_outcome_mix_counts_each_case_last_verdict() -> None:
    assert outcome_mix(histories().values()) == {"resolved_satisfied": 1, "satisfied_unresolved": 1,
                                                 "resolved_unsatisfied": 1, "neither": 0, "unresolvable": 0}


def test_recurring_problems_same_subject_same_community() -> None:
    found = recurring_problems(histories().values(), window_days=30, min_cases=3)
    assert found == [{"category": "property_management",
                      "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing"},
                      "cases": 3, "case_ids": [C1, C2, C3], "first_received": "2026-11-01T08:00:00+00:00",
                      "last_received": "2026-11-20T08:00:00+00:00"}]
    # C1 (11-01) and C3 (11-20) are 19 days apart: a 14-day window holds only C1+C2 (4 days apart)
    assert [r["case_ids"] for r in recurring_problems(histories().values(), window_days=14, min_cases=2)] == [[C1, C2]]


def test_a_task_cancelled_after_acceptance_lets_the_case_fly_again() -> None:
    from jiesu_shared.catalogue import dispatch as d
    from jiesu_shared.catalogue import gateway as g
    from tests.domain.audit_known_log import JINGSHAN, _Log, _received, t

    log = _Log()
    _received(log, t(2, 8), "c-x", JINGSHAN)  # 08:00; accepted 08:10 → flying 600 s
    log.offer(t(2, 8), "X1", "c-x", "housing", JINGSHAN)
    log.add(t(2, 8, 10), g.TaskAccepted(task_id="X1", case_id="c-x", department_id="housing", accepted_at=t(2, 8, 10)))
    # a coordinator's ruling withdraws it at 09:00; the new lead accepts at 09:30 → 1800 s more
    log.add(t(2, 9), d.TaskCancelled(task_id="X1", case_id="c-x", department_id="housing", reason="ruling"))
    log.offer(t(2, 9), "X2", "c-x", "urban-management", JINGSHAN)
    log.add(t(2, 9, 30), g.TaskAccepted(task_id="X2", case_id="c-x", department_id="urban-management",
                                        accepted_at=t(2, 9, 30)))
    history = fold(log.events)["c-x"]
    i = intervals_of(history, AS_OF)
    assert i["flying_seconds"] == 600 + 1800 and i["flying_now"] is False
    assert [o["outcome"] for o in i["offers"]] == ["cancelled", "accepted"]
    housing = next(r for r in department_stats([history], period="month", as_of=AS_OF) if r["department"] == "housing")
    assert (housing["accepted"], housing["cancelled"], housing["returned"]) == (1, 0, 0)


def test_the_rates_configuration_is_read_from_the_file_named_in_the_environment(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from jiesu_audit.config import AuditSettings

    custom = {**CONFIG, "weights": {"response": 0.5, "resolution": 0.5, "satisfaction": 0.0}}
    (tmp_path / "rates.json").write_text(json.dumps(custom))
    monkeypatch.setenv("JIESU_THREE_RATES_FILE", str(tmp_path / "rates.json"))
    assert AuditSettings().three_rates()["weights"] == custom["weights"]
    (tmp_path / "rates.json").write_text(json.dumps({"weights": {}}))
    with pytest.raises(ValueError, match="lacks"):
        AuditSettings().three_rates()
