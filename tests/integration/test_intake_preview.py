"""What the console's operators see before saving a call (`POST /cases/preview`), the triage queue, and
`GET /whoami` (from the shared kernel): on intake over the embedded log."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings

STAFF = [{"id": "op-wang", "token": "wang-secret", "roles": ["intake", "triage"]},
         {"id": "op-li", "token": "li-secret", "roles": ["callback"]}]
OPERATOR = {"Authorization": "Bearer wang-secret"}
DESK = {"Authorization": "Bearer li-secret"}
PLACE = {"district": "东城区", "street": "景山街道", "community": "吉祥社区"}
CALL = {"text": "楼道灯坏了，物业不管", "channel": "hotline", "place": PLACE}


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                              database_url=f"sqlite:///{tmp_path}/intake.sqlite3", staff=STAFF)
    with TestClient(build_app(settings)) as client:
        yield client


def test_preview_classifies_finds_the_earlier_case_and_records_nothing(client: TestClient) -> None:
    first = client.post("/cases/preview", json=CALL, headers=OPERATOR)
    assert first.status_code == 200, first.text
    assert first.json()["category"] == "property_management" and first.json()["possible_duplicate"] is None
    assert any("物业" in rule["matched"] for rule in first.json()["rules"])
    assert client.post("/cases/preview", json=CALL, headers=OPERATOR).json()["possible_duplicate"] is None  # nothing recorded

    recorded = client.post("/cases", json=CALL, headers=OPERATOR).json()
    again = client.post("/cases/preview", json={**CALL, "text": "物业不修楼道灯"}, headers=OPERATOR).json()
    assert again["possible_duplicate"]["case_id"] == recorded["case_id"]
    assert "吉祥社区" in again["possible_duplicate"]["reason"]
    elsewhere = {**CALL, "place": {**PLACE, "community": "大佛寺社区"}}
    assert client.post("/cases/preview", json=elsewhere, headers=OPERATOR).json()["possible_duplicate"] is None


def test_preview_needs_the_intake_role_and_valid_input(client: TestClient) -> None:
    assert client.post("/cases/preview", json=CALL).status_code == 401
    assert client.post("/cases/preview", json=CALL, headers=DESK).status_code == 403
    bad = client.post("/cases/preview", json={**CALL, "text": ""}, headers=OPERATOR)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_the_triage_queue_lists_open_unclassified_cases_until_they_are_classified(client: TestClient) -> None:
    vague = client.post("/cases", json={**CALL, "text": "这件事我也说不清楚"}, headers=OPERATOR).json()
    client.post("/cases", json=CALL, headers=OPERATOR)
    queue = client.get("/triage-queue", headers=OPERATOR).json()
    assert [entry["case_id"] for entry in queue] == [vague["case_id"]]
    assert client.get("/triage-queue", headers=DESK).status_code == 403
    client.post(f"/cases/{vague['case_id']}/reclassify", headers=OPERATOR,
                json={"category": "noise", "urgency": "normal", "reason": "夜间施工"}).raise_for_status()
    assert client.get("/triage-queue", headers=OPERATOR).json() == []


def test_whoami_names_the_token_and_its_roles(client: TestClient) -> None:
    assert client.get("/whoami", headers=DESK).json() == {"id": "op-li", "roles": ["callback"]}
    assert client.get("/whoami", headers=OPERATOR).json() == {"id": "op-wang", "roles": ["intake", "triage"]}
    assert client.get("/whoami").status_code == 401
    assert client.get("/whoami", headers={"Authorization": "Bearer forged"}).status_code == 401
    operation = client.get("/openapi.json").json()["paths"]["/whoami"]["get"]
    assert operation["security"] == [{"StaffToken": []}]
