"""Departments as administrators and departments see them: registration, credentials rotated without
downtime, the webhooks a department hears (cancellations, reminders, updates on its cases), and an
OpenAPI document a department can generate a client from."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.catalogue.dispatch import CaseEscalated, SlaWarning, TaskCancelled
from jiesu_shared.catalogue.intake import CaseWithdrawn
from jiesu_shared.store import Database

from jiesu_gateway.bootstrap import build_app
from jiesu_gateway.departments import DepartmentService, signing_secrets
from tests.integration.gateway_harness import T0, bearer, offer, register, stored_events
from tests.integration.test_gateway_webhook_delivery import Harness
from tests.support.waiting import eventually

ADMIN_ENDPOINTS = [
    ("POST", "/admin/departments", {"department_id": "intruder", "name": "Intruder"}),
    ("GET", "/admin/departments/housing", None),
    ("PATCH", "/admin/departments/housing", {"webhook_url": "http://127.0.0.1:1/evil"}),
    ("POST", "/admin/departments/housing/api-key/rotate", None),
    ("POST", "/admin/departments/housing/webhook-secret/rotate", None),
]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    h.receiver.up()
    yield h
    h.receiver.down()


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(build_app(harness.settings, clock=harness.clock)) as c:
        yield c


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_administration_needs_the_admin_token(harness: Harness, client: TestClient, method: str, path: str,
                                              body: dict | None) -> None:
    housing = harness.register(client, "housing")
    for headers in ({}, bearer(housing["api_key"]), bearer("not-the-token")):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    department = client.get("/admin/departments/housing", headers=bearer(harness.admin)).json()
    assert department["webhook_url"] == harness.receiver.url("housing")
    assert client.get("/tasks", headers=bearer(housing["api_key"])).status_code == 200  # key not rotated
    assert client.get("/admin/departments/intruder", headers=bearer(harness.admin)).status_code == 404


def test_registration_refuses_duplicates_unknown_event_types_and_never_shows_secrets_again(
        harness: Harness, client: TestClient) -> None:
    created = harness.register(client, "housing", event_types=["task.offered", "task.reminder"])
    assert created["api_key"].startswith("jsk_") and created["webhook_secret"].startswith("whsec_")
    again = client.post("/admin/departments", headers=bearer(harness.admin),
                        json={"department_id": "housing", "name": "Again"})
    assert again.status_code == 409
    bad = client.post("/admin/departments", headers=bearer(harness.admin),
                      json={"department_id": "fire", "name": "Fire", "event_types": ["task.everything"]})
    assert bad.status_code == 422
    shown = client.get("/admin/departments/housing", headers=bearer(harness.admin)).json()
    assert shown["event_types"] == ["task.offered", "task.reminder"]
    assert "api_key" not in shown and "webhook_secret" not in shown


def test_a_rotated_api_key_keeps_working_until_its_grace_period_ends(harness: Harness, client: TestClient) -> None:
    old = harness.register(client, "housing")["api_key"]
    rotated = client.post("/admin/departments/housing/api-key/rotate", headers=bearer(harness.admin),
                          json={"grace_seconds": 3600})
    assert rotated.status_code == 200
    new = rotated.json()["api_key"]
    assert rotated.json()["previous_valid_until"].startswith((T0 + timedelta(hours=1)).isoformat()[:19])
    for key in (old, new):
        assert client.get("/tasks", headers=bearer(key)).status_code == 200
    harness.clock.advance(3601)
    assert client.get("/tasks", headers=bearer(old)).status_code == 401
    assert client.get("/tasks", headers=bearer(new)).status_code == 200


def test_a_key_rotated_twice_keeps_each_old_key_for_its_own_grace_period(harness: Harness,
                                                                         client: TestClient) -> None:
    first = harness.register(client, "housing")["api_key"]
    rotate = "/admin/departments/housing/api-key/rotate"
    second = client.post(rotate, headers=bearer(harness.admin), json={"grace_seconds": 3600}).json()["api_key"]
    harness.clock.advance(600)
    third = client.post(rotate, headers=bearer(harness.admin), json={"grace_seconds": 3600}).json()["api_key"]
    for key in (first, second, third):  # the first key was not cut off by the second rotation
        assert client.get("/me", headers=bearer(key)).json()["department_id"] == "housing"
    harness.clock.advance(3000 + 1)  # the first key's hour is over, the second key's is not
    assert client.get("/me", headers=bearer(first)).status_code == 401
    assert client.get("/me", headers=bearer(second)).status_code == 200
    harness.clock.advance(600)
    assert client.get("/me", headers=bearer(second)).status_code == 401
    assert client.get("/me", headers=bearer(third)).status_code == 200


def test_a_department_rotates_its_own_key_and_changes_its_own_webhook(harness: Harness, client: TestClient) -> None:
    old = harness.register(client, "housing")["api_key"]
    rotated = client.post("/me/api-key/rotate", headers=bearer(old), json={"grace_seconds": 60})
    assert rotated.status_code == 200
    new = rotated.json()["api_key"]
    harness.clock.advance(61)
    assert client.get("/me", headers=bearer(old)).status_code == 401
    me = client.patch("/me", headers=bearer(new), json={"event_types": ["task.offered"]})
    assert me.status_code == 200 and me.json()["event_types"] == ["task.offered"]
    assert me.json()["department_id"] == "housing" and "api_key" not in me.json()
    unsafe = client.patch("/me", headers=bearer(new), json={"webhook_url": "file:///etc/passwd"})
    assert unsafe.status_code == 422 and unsafe.json()["type"].endswith("/unsafe-webhook-url")
    assert client.get("/me", headers=bearer(new)).json()["webhook_url"] == harness.receiver.url("housing")


def test_during_a_secret_rotation_webhooks_verify_with_the_old_or_the_new_secret(harness: Harness,
                                                                                 client: TestClient) -> None:
    old = harness.register(client, "housing")["webhook_secret"]
    rotated = client.post("/admin/departments/housing/webhook-secret/rotate", headers=bearer(harness.admin))
    new = rotated.json()["webhook_secret"]
    harness.receiver.secrets["housing"] = [old]  # a department that has not switched yet
    harness.log.publish("case-1", offer("housing", case_id="case-1"))
    (first,) = eventually(lambda: harness.receiver.received, what="the first webhook")
    assert first.verified and len(first.headers["webhook-signature"].split(" ")) == 2

    harness.clock.advance(24 * 3600 + 1)  # the default grace period is over: only the new secret signs
    harness.receiver.secrets["housing"] = [new]
    harness.log.publish("case-2", offer("housing", case_id="case-2"))
    second = eventually(lambda: harness.receiver.received[1:], what="the second webhook")[0]
    assert second.verified and len(second.headers["webhook-signature"].split(" ")) == 1


def test_a_secret_rotated_twice_signs_with_every_secret_still_in_its_grace_period(harness: Harness,
                                                                                  client: TestClient) -> None:
    first = harness.register(client, "housing")["webhook_secret"]
    rotate = "/admin/departments/housing/webhook-secret/rotate"
    second = client.post(rotate, headers=bearer(harness.admin), json={"grace_seconds": 3600}).json()["webhook_secret"]
    harness.clock.advance(600)
    client.post(rotate, headers=bearer(harness.admin), json={"grace_seconds": 3600})
    harness.receiver.secrets["housing"] = [first]  # a department that has not switched at all yet
    harness.log.publish("case-1", offer("housing", case_id="case-1"))
    (received,) = eventually(lambda: harness.receiver.received, what="the webhook")
    assert received.verified and len(received.headers["webhook-signature"].split(" ")) == 3

    harness.clock.advance(3000 + 1)  # the first secret's hour is over: the new one and the second sign
    harness.receiver.secrets["housing"] = [second]
    harness.log.publish("case-2", offer("housing", case_id="case-2"))
    later = eventually(lambda: harness.receiver.received[1:], what="the second webhook")[0]
    assert later.verified and len(later.headers["webhook-signature"].split(" ")) == 2


def test_a_department_hears_of_cancellations_reminders_and_its_cases_and_only_what_it_asked_for(
        harness: Harness, client: TestClient) -> None:
    harness.register(client, "housing")
    harness.register(client, "fire-safety", event_types=["task.offered", "task.cancelled"])
    lead, support = offer("housing", case_id="case-1"), offer("fire-safety", case_id="case-1", role="supporting")
    harness.log.publish("case-1", lead, support)
    eventually(lambda: len(harness.receiver.ids("fire-safety")) == 1, what="the offers")
    harness.log.publish("case-1", SlaWarning(case_id="case-1", task_id=lead.task_id, department_id="housing",
                                             clock="decide", deadline=T0 + timedelta(hours=2)),
                        # decided late, after the department had answered: kept in the log, no reminder sent
                        SlaWarning(case_id="case-1", task_id=lead.task_id, department_id="housing", clock="respond",
                                   deadline=T0 + timedelta(hours=24), clock_stopped_at=T0 + timedelta(hours=20)),
                        CaseEscalated(case_id="case-1", reason="nobody accepted", return_count=0),
                        TaskCancelled(task_id=support.task_id, case_id="case-1", department_id="fire-safety",
                                      reason="supporting department released"),
                        CaseWithdrawn(case_id="case-1", reason="citizen withdrew"))

    def types(department: str) -> list[str]:
        return [r.message["type"] for r in harness.receiver.received if r.department == department and r.verified]

    eventually(lambda: len(types("housing")) == 4 and len(types("fire-safety")) == 2, what="the messages")
    assert types("housing") == ["task.offered", "task.reminder", "case.escalated", "case.withdrawn"]
    # fire-safety asked for offers and cancellations only, and is no party to the case once released.
    assert types("fire-safety") == ["task.offered", "task.cancelled"]
    reminder = next(r.message for r in harness.receiver.received if r.message["type"] == "task.reminder")
    assert reminder["data"]["clock"] == "decide" and reminder["data"]["task_id"] == lead.task_id
    # Only offers ask something of dispatch: two task.notified events, nothing for the rest.
    eventually(lambda: len(stored_events(client)) == 2, what="task.notified events")
    assert [t for t, _ in stored_events(client)] == ["task.notified.v1", "task.notified.v1"]


def test_setting_the_url_again_re_enables_a_webhook_disabled_by_410(harness: Harness, client: TestClient) -> None:
    harness.register(client, "housing")
    harness.receiver.answers["housing"] = (410, {})
    harness.log.publish("case-1", offer("housing", case_id="case-1"))
    eventually(lambda: client.get("/admin/departments/housing", headers=bearer(harness.admin)).json()[
        "webhook_enabled"] is False, what="the endpoint disabled")
    harness.receiver.answers.pop("housing")
    patched = client.patch("/admin/departments/housing", headers=bearer(harness.admin),
                           json={"webhook_url": harness.receiver.url("housing")})
    assert patched.status_code == 200 and patched.json()["webhook_enabled"] is True
    harness.log.publish("case-2", offer("housing", case_id="case-2"))
    eventually(lambda: [r for r in harness.receiver.received if r.message["data"]["case_id"] == "case-2"],
               what="delivery after re-enabling")


def test_the_openapi_document_is_enough_to_generate_a_client(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    for name in ("DepartmentApiKey", "StaffToken"):
        assert (schemes[name]["type"], schemes[name]["scheme"]) == ("http", "bearer")
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()
                  if path not in ("/health", "/ready")]  # open: the orchestrator's probes
    ids = [op.get("operationId") for _, _, op in operations]
    assert all(ids) and len(set(ids)) == len(ids)
    assert {"listTasks", "getTask", "acceptTask", "returnTask", "rejectTask", "respondToTask", "reportTaskProgress",
            "completeTask", "reportInToTask", "registerDepartment", "rotateApiKey", "rotateWebhookSecret"} <= set(ids)
    for path, method, op in operations:
        assert op["security"], f"{method} {path} declares no security scheme"
        success = next(code for code in op["responses"] if code.startswith("2"))
        assert "$ref" in op["responses"][success]["content"]["application/json"]["schema"], f"{method} {path}"
        errors = {code for code in op["responses"] if code[0] in "45"}
        assert {"401", "422"} <= errors, f"{method} {path} declares {errors}"
        for code in errors:
            schema = op["responses"][code]["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemDocument"}
        if path.startswith("/tasks/{task_id}"):
            assert "404" in errors
        if method == "post" and path.startswith("/tasks/"):
            assert "409" in errors
            assert "Idempotency-Key" in [p["name"] for p in op["parameters"]]
    assert {"task.offered", "task.cancelled", "task.reminder"} <= set(document["webhooks"])


def test_rotated_credentials_keep_their_own_grace_periods_on_both_databases(database: Database) -> None:
    now = [T0]
    departments = DepartmentService(database, allow_private_webhooks=True, clock=lambda: now[0],
                                    grace=timedelta(hours=1))
    issued = departments.register(department_id="housing", name="Housing", webhook_url=None)
    keys, secrets = [issued.api_key], [issued.webhook_secret]
    for _ in range(2):
        keys.append(departments.rotate_api_key("housing").api_key)
        secrets.append(departments.rotate_webhook_secret("housing").webhook_secret)
        now[0] += timedelta(minutes=30)
    # 60 minutes after the first rotation: the first key and secret are over, the second's have 30 minutes left
    now[0] += timedelta(seconds=1)
    assert [departments.by_api_key(k) is not None for k in keys] == [False, True, True]
    assert signing_secrets(departments.get("housing"), now[0]) == [secrets[2], secrets[1]]  # type: ignore[arg-type]
    assert departments.by_api_key("jsk_never-issued") is None
