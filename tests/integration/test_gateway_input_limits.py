"""The gateway refuses out-of-range paging and loosely typed bodies with 422 problem+json, never 500
and never by guessing (0 is not false, true is not one second, 300 characters are not at most 200)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_gateway.bootstrap import build_app
from tests.integration.gateway_harness import bearer, gateway_settings, register

HUGE = 2**63  # past a 64-bit integer: the database would fail on it


@dataclass
class Gateway:
    http: TestClient
    admin: dict[str, str]  # headers
    housing: dict[str, str]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    settings = gateway_settings(tmp_path)
    token = settings.admin_token.get_secret_value()
    with TestClient(build_app(settings)) as c:
        yield Gateway(c, bearer(token), bearer(register(c, token, "housing")["api_key"]))


def invalid(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.text


@pytest.mark.parametrize("offset", [HUGE, 10**18, 1_000_000_001, -1])
def test_paging_past_its_bound_answers_422(gateway: Gateway, offset: int) -> None:
    invalid(gateway.http.get("/tasks", params={"offset": offset}, headers=gateway.housing), "offset")
    invalid(gateway.http.get("/deliveries", params={"offset": offset}, headers=gateway.housing), "offset")
    invalid(gateway.http.get("/admin/departments/housing/deliveries", params={"offset": offset},
                            headers=gateway.admin), "offset")
    assert gateway.http.get("/tasks", params={"offset": 1_000_000_000}, headers=gateway.housing).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"webhook_enabled": 0}, "webhook_enabled"),
    ({"webhook_enabled": "false"}, "webhook_enabled"),
    ({"webhook_enabled": None, "name": "n" * 300}, "name"),
    ({"name": "名" * 201}, "name"),
])
def test_a_department_update_is_strictly_typed(gateway: Gateway, body: dict, field: str) -> None:
    invalid(gateway.http.patch("/admin/departments/housing", json=body, headers=gateway.admin), field)
    shown = gateway.http.get("/admin/departments/housing", headers=gateway.admin).json()
    assert shown["webhook_enabled"] is True and shown["name"] == "Housing"  # nothing changed
    turned_off = gateway.http.patch("/admin/departments/housing", json={"webhook_enabled": False},
                                    headers=gateway.admin)
    assert turned_off.json()["webhook_enabled"] is False


def test_a_rotation_grace_period_is_a_number_not_a_bool(gateway: Gateway) -> None:
    invalid(gateway.http.post("/admin/departments/housing/api-key/rotate", json={"grace_seconds": True},
                              headers=gateway.admin), "grace_seconds")
    assert gateway.http.get("/me", headers=gateway.housing).status_code == 200  # the key is unchanged


def test_a_new_department_name_over_its_max_length_is_refused(gateway: Gateway) -> None:
    invalid(gateway.http.post("/admin/departments", json={"department_id": "fire", "name": "n" * 300},
                              headers=gateway.admin), "name")
