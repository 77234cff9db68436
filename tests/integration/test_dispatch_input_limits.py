"""Dispatch's HTTP API: paging past its bound and loosely typed bodies answer 422 problem+json (never
500), and the moments it answers carry their UTC offset, on SQLite too."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_dispatch_http import WANG, client, clock, received  # noqa: F401 (fixtures)


def invalid(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.text


@pytest.mark.parametrize("offset", [2**63, 10**18, 1_000_000_001, -1])
def test_paging_past_its_bound_answers_422(client: TestClient, offset: int) -> None:  # noqa: F811
    invalid(client.get("/cases", params={"offset": offset}, headers=WANG), "offset")
    assert client.get("/cases", params={"offset": 1_000_000_000}, headers=WANG).json() == []


def test_a_case_summary_says_its_time_zone(client: TestClient) -> None:  # noqa: F811
    case_id = received(client)
    (summary,) = client.get("/cases", headers=WANG).json()
    updated = datetime.fromisoformat(summary["updated_at"])
    assert summary["case_id"] == case_id and updated.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("dispatch", {"lead_department": "housing", "reason": "x", "override_returns": 0}, "override_returns"),
    ("dispatch", {"lead_department": "housing", "reason": "x", "override_returns": "true"}, "override_returns"),
    ("dispatch", {"lead_department": "h" * 101, "reason": "x"}, "lead_department"),
    ("whistle", {"street_office": "street-office", "summoned": ["housing"], "reason": "x",
                 "report_in_minutes": True}, "report_in_minutes"),
])
def test_a_command_body_is_strictly_typed(client: TestClient, path: str, body: dict,  # noqa: F811
                                          field: str) -> None:
    case_id = received(client)
    invalid(client.post(f"/cases/{case_id}/{path}", json=body, headers=WANG), field)


def test_a_directory_entry_name_over_its_max_length_is_refused(client: TestClient) -> None:  # noqa: F811
    invalid(client.post("/admin/departments", headers={"Authorization": "Bearer admin-secret"},
                        json={"department_id": "x-y", "name": "n" * 300, "kind": "community"}), "name")
