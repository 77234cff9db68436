"""The reference department refuses a correctly signed but malformed webhook with a clear problem+json
4xx naming the fields (never echoing the values), instead of a 500, over real HTTP."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from deploy.local_stack import free_port
from jiesu_reference_department.app import build_app as build_department
from jiesu_reference_department.config import ReferenceDepartmentSettings
from tests.integration.test_gateway_reference_department import Served

SECRET = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
MARKER = "ZZ-recognisable-input-ZZ"


@pytest.fixture(scope="module")
def department() -> Iterator[Served]:
    port = free_port()
    credentials = {"housing": {"api_key": "jsk_unused", "webhook_secret": SECRET}}
    served = Served(build_department(ReferenceDepartmentSettings(
        gateway_url="http://127.0.0.1:9", port=port, credentials_json=json.dumps(credentials))), port)
    yield served
    served.stop()


def post_signed(department: Served, body: str, signature: str | None = None) -> httpx.Response:
    webhook_id, now = f"msg_{abs(hash(body))}", datetime.now(UTC)
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature or Webhook(SECRET).sign(webhook_id, now, body),
               "content-type": "application/json"}
    return httpx.post(f"{department.url}/webhooks/housing", content=body.encode(), headers=headers)


@pytest.mark.parametrize(("body", "where"), [
    ({"type": "task.offered", "data": {}}, ["data", "task_id"]),
    ({"type": "task.offered", "data": None}, ["data"]),
    ({"type": "task.cancelled", "data": {"task_id": 42}}, ["data", "task_id"]),
    ({"type": "task.offered"}, ["data"]),
    ({"data": {"task_id": "t-1"}}, ["type"]),
    ([{"type": "task.offered", "data": {"task_id": MARKER}}], []),
    (MARKER, []),
    ({"type": "task.offered", "data": [MARKER]}, ["data"]),
])
def test_a_signed_but_malformed_message_answers_422_naming_the_field(department: Served, body: object,
                                                                    where: list[str]) -> None:
    response = post_signed(department, json.dumps(body))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and [e["loc"] for e in problem["errors"]][0] == where
    assert MARKER not in response.text


def test_a_signed_body_that_is_not_json_answers_400(department: Served) -> None:
    response = post_signed(department, f"{{not json {MARKER}")
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert MARKER not in response.text


def test_a_garbled_signature_header_answers_400_not_500(department: Served) -> None:
    response = post_signed(department, json.dumps({"type": "task.reminder", "data": {}}), signature="v1")
    assert response.status_code == 400 and response.json()["detail"] == "bad signature"


def test_a_well_formed_message_is_still_taken(department: Served) -> None:
    response = post_signed(department, json.dumps({"type": "task.cancelled", "data": {"task_id": "t-1"}}))
    assert response.status_code == 204
    unknown = httpx.post(f"{department.url}/webhooks/fire", content=b"{}")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
