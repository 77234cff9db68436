"""Intake's HTTP contract on the embedded log: clear errors for bad input, and nothing appended for them."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.contract.test_bus_contract import collect, open_subscription
from tests.support.staff import STAFF, as_role

OPERATORS = [
    {"id": "op-wang", "token": "wang-secret", "roles": ["triage", "callback"]},
    {"id": "op-zhao", "token": "zhao-secret", "roles": ["triage", "callback", "contact", "privacy"]},
]
CALLER = {"Authorization": "Bearer wang-secret"}  # may act on cases, may not see personal data
OFFICER = {"Authorization": "Bearer zhao-secret"}  # may also see personal data and erase citizens
RECORDER = as_role("intake")  # a hotline operator recording requests: the test clients' default
ANONYMOUS = {"Authorization": ""}  # overrides a client's default credential with none
OPEN311_KEY = "o311-test-key"

GOOD = {"text": "小区电梯坏了 the lift is broken", "channel": "hotline",
        "place": {"district": "Haidian", "street": "Zhongguancun", "community": "Huangzhuang"}}


@pytest.fixture
def settings(tmp_path: Path) -> IntakeSettings:
    return IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"),
                          database_url=f"sqlite:///{tmp_path}/intake.sqlite3", topic="cases",
                          staff=[*STAFF, *OPERATORS], open311_api_keys={OPEN311_KEY: "fixmystreet"},
                          max_body_bytes=16_384)


async def log_records(settings: IntakeSettings, expected: int) -> list:
    """The records on the log once `expected` have arrived, and anything that follows within a moment."""
    sub = await open_subscription(EmbeddedBus(settings.embedded_log_path), "reader", settings.topic)
    try:
        records = await collect(sub, expected, timeout=10)
        return records + await sub.poll(timeout=0.3)
    finally:
        await sub.stop()


@pytest.mark.parametrize(("body", "field"), [
    ({**GOOD, "text": ""}, "text"),
    ({k: v for k, v in GOOD.items() if k != "place"}, "place"),
    ({**GOOD, "place": {"district": "Haidian"}}, "place.street"),
    ({**GOOD, "channel": "carrier_pigeon"}, "channel"),
    ({**GOOD, "text": "x" * 4001}, "text"),
    ({**GOOD, "citizen_password": "hunter2"}, "citizen_password"),
])
def test_bad_case_gets_a_problem_naming_the_field_and_appends_nothing(settings: IntakeSettings, body: dict,
                                                                      field: str) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        bad = client.post("/cases", json=body)
        good = client.post("/cases", json=GOOD)
        records = asyncio.run(log_records(settings, 1))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    problem = bad.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation-error")
    assert field in [e["field"] for e in problem["errors"]]
    assert field in problem["detail"]
    assert good.status_code == 201
    assert [r.key.decode() for r in records] == [good.json()["case_id"]]  # only the good case reached the log


def test_malformed_json_is_a_problem_too(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        response = client.post("/cases", content=b"{not json", headers={"content-type": "application/json"})
        missing = client.get("/cases/no-such-case")
        anonymous = client.post("/cases", json=GOOD, headers=ANONYMOUS)
        not_a_recorder = client.post("/cases", json=GOOD, headers=CALLER)
    assert anonymous.status_code == 401 and not_a_recorder.status_code == 403
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert missing.status_code == 404 and missing.json()["title"] == "No such case"


def test_an_accepted_case_is_on_the_log_and_readable(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        created = client.post("/cases", json=GOOD)
        case_id = created.json()["case_id"]
        fetched = client.get(created.headers["location"])
        (record,) = asyncio.run(log_records(settings, 1))
    assert created.status_code == 201 and fetched.json()["status"] == "received"
    assert record.key.decode() == case_id and record.header("ce_type") == b"case.received.v1"


def test_an_operators_command_is_carried_out_once_per_idempotency_key(settings: IntakeSettings) -> None:
    """A call-back desk retrying after a lost answer: the same key gives the case as it stands and records nothing
    twice; the key reused for another request is a problem; another operator's keys are their own."""
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case_id = client.post("/cases", json=GOOD).json()["case_id"]
        url, key = f"/cases/{case_id}/reclassify", {"Idempotency-Key": "retry-1"}
        body = {"category": "unclassified", "request_type": "complaint", "urgency": "urgent", "reason": "it is"}
        first = client.post(url, json=body, headers={**CALLER, **key})
        again = client.post(url, json=body, headers={**CALLER, **key})
        reused = client.post(url, json={**body, "urgency": "normal"}, headers={**CALLER, **key})
        others = client.post(url, json={**body, "urgency": "normal"}, headers={**OFFICER, **key})
        withdrawn = client.post(f"/cases/{case_id}/withdraw", json={"reason": "solved"}, headers={**CALLER, **key})
        withdrawn_again = client.post(f"/cases/{case_id}/withdraw", json={"reason": "solved"},
                                      headers={**CALLER, "Idempotency-Key": "retry-2"})
        replayed = client.post(f"/cases/{case_id}/withdraw", json={"reason": "solved"},
                               headers={**CALLER, "Idempotency-Key": "retry-2"})
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    assert first.json()["urgency"] == "urgent"
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["urgency"] == "urgent"
    assert reused.status_code == 422 and reused.json()["type"].endswith("idempotency-key-reused")
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert others.status_code == 200 and others.json()["urgency"] == "normal"  # op-zhao's own key space
    assert withdrawn.status_code == 422  # the key was the reclassification's: not a withdrawal's
    assert withdrawn_again.status_code == 200 and withdrawn_again.json()["status"] == "withdrawn"
    assert replayed.status_code == 200 and replayed.headers["idempotent-replayed"] == "true"
    types = [r.header("ce_type").decode() for r in asyncio.run(log_records(settings, 4))]
    assert types.count("case.reclassified.v1") == 2  # op-wang's once, op-zhao's once
    assert types.count("case.withdrawn.v1") == 1
