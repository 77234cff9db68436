"""Intake over HTTP on the embedded log: every channel, Idempotency-Key, limits, classification, duplicates."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import (ANONYMOUS, CALLER, GOOD, OFFICER, RECORDER, log_records,  # noqa: F401
                                                settings)

PLACE = {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing", "grid": "G-07",
         "address": "景山东街 3 号院", "address_id": "BJ-DC-JSDJ-0003", "latitude": 39.925, "longitude": 116.397}


@pytest.mark.parametrize(("channel", "text", "category", "request_type"), [
    ("hotline", "楼上漏水，物业不管", "property_management", "complaint"),
    ("web_board", "建议小区加装电梯 we suggest an elevator retrofit", "elevator_retrofit", "suggestion"),
    ("wechat", "请问垃圾分类的桶放在哪里？", "waste_sorting", "consultation"),
    ("grid_patrol", "巡查发现商户占道经营", "land_occupation", None),
    ("proactive", "每月一题：老旧小区暖气不热", "heating", "complaint"),
])
def test_every_channel_becomes_a_classified_case_on_the_log(settings: IntakeSettings, channel: str, text: str,
                                                             category: str, request_type: str | None) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        created = client.post("/cases", json={"text": text, "channel": channel, "place": PLACE})
        (record,) = asyncio.run(log_records(settings, 1))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["channel"], body["category"], body["request_type"]) == (channel, category, request_type)
    # the exact place is sealed
    generalised = {**PLACE, "address": None, "address_id": None, "latitude": None, "longitude": None}
    assert body["place"] == generalised
    event = record.value.decode()
    assert PLACE["address"] not in event and PLACE["address_id"] not in event and str(PLACE["latitude"]) not in event
    assert f'"channel":"{channel}"' in event and f'"rule_id":"2026-11/subject/{category}"' in event


def test_the_same_idempotency_key_twice_yields_one_case(settings: IntakeSettings) -> None:
    web_board = {"id": "web-board-backend", "token": "board-secret", "roles": ["intake"]}  # a second recorder
    settings = IntakeSettings(**{**settings.model_dump(), "staff": [*settings.model_dump()["staff"], web_board]})
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = client.post("/cases", json=GOOD, headers={"Idempotency-Key": "call-0042"})
        again = client.post("/cases", json=GOOD, headers={"Idempotency-Key": "call-0042"})
        other = client.post("/cases", json={**GOOD, "text": "different"}, headers={"Idempotency-Key": "call-0042"})
        # another recorder's keys are their own: the same key and request from them is a new case
        theirs = client.post("/cases", json=GOOD,
                             headers={"Authorization": "Bearer board-secret", "Idempotency-Key": "call-0042"})
        records = asyncio.run(log_records(settings, 2))
    assert first.status_code == again.status_code == 201
    assert again.json()["case_id"] == first.json()["case_id"] and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    keys = [r.key.decode() for r in records]  # theirs also gets its link to the earlier case as a duplicate
    assert keys.count(first.json()["case_id"]) == 1 and set(keys) == {first.json()["case_id"], theirs.json()["case_id"]}


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_is_413_problem_and_appends_nothing(settings: IntakeSettings, chunked: bool) -> None:
    huge = ('{"text": "' + "漏" * 20_000 + '", "place": {"district": "D", "street": "S"}}').encode()
    with TestClient(build_app(settings), headers=RECORDER) as client:
        body = (part for part in (huge[:8000], huge[8000:])) if chunked else huge
        refused = client.post("/cases", content=body, headers={"content-type": "application/json"})
        good = client.post("/cases", json=GOOD)
        records = asyncio.run(log_records(settings, 1))
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/payload-too-large")
    assert [r.key.decode() for r in records] == [good.json()["case_id"]]


def test_unclassifiable_text_is_kept_for_triage_and_an_operator_reclassifies_it(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        created = client.post("/cases", json={**GOOD, "text": "有件事想反映一下"}).json()
        assert created["category"] == "unclassified"
        url = f"/cases/{created['case_id']}/reclassify"
        change = {"category": "noise", "request_type": "complaint", "urgency": "urgent", "reason": "called back: it is the pump"}
        anonymous = client.post(url, json=change, headers=ANONYMOUS)
        changed = client.post(url, json=change, headers=CALLER)
        unknown = client.post(url, json={**change, "category": "alien_landing"}, headers=CALLER)
        records = asyncio.run(log_records(settings, 2))
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "category"
    assert changed.status_code == 200 and (changed.json()["category"], changed.json()["urgency"]) == ("noise", "urgent")
    assert [r.header("ce_type") for r in records] == [b"case.received.v1", b"case.reclassified.v1"]
    assert b'"operator":"op-wang"' in records[1].value


def test_a_second_report_of_the_same_problem_at_the_same_place_is_linked_not_merged(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = client.post("/cases", json={"text": "广场舞噪音扰民", "place": PLACE}).json()
        second = client.post("/cases", json={"text": "noise from square dancing every night", "place": PLACE}).json()
        elsewhere = client.post("/cases", json={"text": "广场舞噪音", "place": {**PLACE, "community": "Other"}}).json()
        records = asyncio.run(log_records(settings, 4))
    assert second["duplicate_of"] == first["case_id"] and second["status"] == "received"
    assert elsewhere["duplicate_of"] is None and first["duplicate_of"] is None
    types = [(r.key.decode(), r.header("ce_type")) for r in records]
    assert (second["case_id"], b"case.linked_as_duplicate.v1") in types and len(types) == 4


def test_the_duplicate_window_is_configurable_and_measured_on_the_injected_clock(settings: IntakeSettings) -> None:
    settings.duplicate_window_hours = 72
    now = [datetime(2026, 11, 1, 8, 0, tzinfo=UTC)]
    app = build_app(settings)
    app.state.service.clock = lambda: now[0]
    with TestClient(app, headers=RECORDER) as client:
        def report() -> dict:
            return client.post("/cases", json={"text": "噪音扰民", "place": PLACE}).json()

        first = report()
        now[0] += timedelta(hours=71)
        within = report()
        now[0] += timedelta(hours=2)  # 73 h after the first
        after = report()
    assert within["duplicate_of"] == first["case_id"]
    assert after["duplicate_of"] is None and after["received_at"] == "2026-11-04T09:00:00Z"


def test_only_operators_with_the_role_act(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case_id = client.post("/cases", json=GOOD).json()["case_id"]
        wrong = client.get("/callback-queue", headers={"Authorization": "Bearer guess"})
        no_privacy = client.delete("/citizens/cz-anyone", headers=CALLER)
        unknown = client.delete("/citizens/cz-anyone", headers=OFFICER)
        early = client.post(f"/cases/{case_id}/callback", headers=CALLER,
                            json={"outcome": "resolved_satisfied", "satisfaction": "satisfied"})
    assert wrong.status_code == 401 and no_privacy.status_code == 403 and unknown.status_code == 404
    assert early.status_code == 409 and "dispatch reports it handled" in early.json()["detail"]
