"""The task API as departments use it, on the embedded log: each department acts on its own tasks only
(OWASP API1), bad credentials and bad bodies are refused, Idempotency-Key never records twice — and
every refusal appends nothing."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.catalogue.dispatch import TaskCancelled

from jiesu_gateway.bootstrap import build_app
from tests.integration.gateway_harness import FakeClock, Log, bearer, gateway_settings, offer, register, stored_events
from tests.support.waiting import eventually

# Every department endpoint, with a valid body for it.
ENDPOINTS = [
    ("GET", "/tasks/{id}", None),
    ("POST", "/tasks/{id}/accept", None),
    ("POST", "/tasks/{id}/return", {"reason": "not_our_remit", "suggested_department": "housing"}),
    ("POST", "/tasks/{id}/reject", {"reason": "not_our_remit", "suggested_department": "housing"}),  # deprecated alias
    ("POST", "/tasks/{id}/respond", {"note": "called the resident"}),
    ("POST", "/tasks/{id}/progress", {"note": "on site", "attachments": ["https://files.example/1.jpg"]}),
    ("POST", "/tasks/{id}/complete", {"resolution": "light replaced"}),
    ("POST", "/tasks/{id}/report-in", {"note": "two officers arrived"}),
]
BODIES = [(m, p, b) for m, p, b in ENDPOINTS if b is not None]
LISTINGS = [("GET", "/tasks", None), ("GET", "/tasks?status=offered", None), ("GET", "/deliveries", None),
            ("GET", "/me", None), ("PATCH", "/me", {"webhook_url": "http://127.0.0.1:9/elsewhere"}),
            ("POST", "/me/api-key/rotate", None), ("POST", "/me/webhook-secret/rotate", None)]


@dataclass
class Gateway:
    client: TestClient
    admin: str
    keys: dict[str, str]
    tasks: dict[str, str]  # name -> task id
    log: Log
    clock: FakeClock

    def call(self, method: str, path: str, task: str, body: dict | None = None, key: str | None = None,
             headers: dict | None = None):  # type: ignore[no-untyped-def]
        all_headers = {**(bearer(key) if key else {}), **(headers or {})}
        return self.client.request(method, path.format(id=self.tasks.get(task, task)), json=body, headers=all_headers)


def start_gateway(tmp_path: Path) -> Iterator[Gateway]:
    settings = gateway_settings(tmp_path)
    clock = FakeClock()
    with TestClient(build_app(settings, clock=clock)) as client:
        admin = settings.admin_token.get_secret_value()  # type: ignore[union-attr]
        keys = {d: register(client, admin, d)["api_key"] for d in ("housing", "fire-safety")}
        log = Log(Path(settings.embedded_log_path), settings.topic)
        offers = {"case": offer("housing"), "whistle": offer("housing", kind="whistle_report_in"),
                  "fire": offer("fire-safety")}
        for o in offers.values():
            log.publish(o.case_id, o)
        for department in keys:
            eventually(lambda d=department: len(client.get("/tasks", headers=bearer(keys[d])).json()["tasks"])
                       == sum(o.department_id == d for o in offers.values()), what=f"{department}'s offers")
        yield Gateway(client, admin, keys, {n: o.task_id for n, o in offers.items()}, log, clock)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway for the checks that must change nothing."""
    yield from start_gateway(tmp_path_factory.mktemp("gateway"))


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    yield from start_gateway(tmp_path)


def assert_problem(response, status: int, slug: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["type"].endswith("/" + slug)
    return problem


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS + LISTINGS)
def test_missing_or_wrong_credentials_answer_401_and_append_nothing(shared: Gateway, method: str, path: str,
                                                                    body: dict | None) -> None:
    before = stored_events(shared.client)
    for key in (None, "jsk_not-a-real-key", shared.admin):  # the admin token is not a department's key
        response = shared.call(method, path, "case", body, key=key)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
    assert shared.call(method, path, "case", body, headers={"authorization": "Basic aG91c2luZzpwdw=="}
                       ).status_code == 401
    assert stored_events(shared.client) == before
    me = shared.client.get("/me", headers=bearer(shared.keys["housing"]))  # key not rotated, webhook unchanged
    assert me.status_code == 200 and me.json()["webhook_url"] is None


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_another_departments_task_answers_404_exactly_like_a_missing_one(shared: Gateway, method: str, path: str,
                                                                         body: dict | None) -> None:
    before = stored_events(shared.client)
    foreign = shared.call(method, path, "case", body, key=shared.keys["fire-safety"])  # housing's task
    missing = shared.call(method, path, f"task-{uuid.uuid4().hex[:10]}", body, key=shared.keys["fire-safety"])
    for response in (foreign, missing):
        assert_problem(response, 404, "not-found")
    strip = lambda p: {k: v for k, v in p.items() if k not in ("instance", "detail")}  # noqa: E731
    assert strip(foreign.json()) == strip(missing.json())
    assert stored_events(shared.client) == before
    assert shared.call("GET", "/tasks/{id}", "case", key=shared.keys["housing"]).json()["status"] == "offered"


def test_listing_shows_a_department_only_its_own_tasks(shared: Gateway) -> None:
    housing = shared.client.get("/tasks", headers=bearer(shared.keys["housing"])).json()["tasks"]
    fire = shared.client.get("/tasks?status=offered", headers=bearer(shared.keys["fire-safety"])).json()["tasks"]
    assert {t["task_id"] for t in housing} == {shared.tasks["case"], shared.tasks["whistle"]}
    assert [t["task_id"] for t in fire] == [shared.tasks["fire"]]
    assert shared.client.get("/tasks?status=completed", headers=bearer(shared.keys["housing"])).json() == \
        {"tasks": [], "next_offset": None}
    page = shared.client.get("/tasks?limit=1", headers=bearer(shared.keys["housing"])).json()
    assert len(page["tasks"]) == 1 and page["next_offset"] == 1
    assert_problem(shared.client.get("/tasks?limit=0", headers=bearer(shared.keys["housing"])), 422,
                   "validation-error")


@pytest.mark.parametrize(("method", "path", "body"), BODIES)
def test_malformed_bodies_answer_422_naming_the_field_and_append_nothing(shared: Gateway, method: str, path: str,
                                                                         body: dict) -> None:
    before = stored_events(shared.client)
    key = shared.keys["housing"]
    task = "whistle" if path.endswith("report-in") else "case"
    not_json = shared.client.post(path.format(id=shared.tasks[task]), content=b"{not json",
                                  headers={**bearer(key), "content-type": "application/json"})
    assert_problem(not_json, 422, "validation-error")
    extra = shared.call(method, path, task, {**body, "citizen_phone": "13800000000"}, key=key)
    assert "citizen_phone" in [e["field"] for e in assert_problem(extra, 422, "validation-error")["errors"]]
    assert stored_events(shared.client) == before


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/tasks/{id}/return", {"reason": "too_busy"}, "reason"),
    ("/tasks/{id}/return", {}, "reason"),
    ("/tasks/{id}/return", {"reason": "other", "suggested_department": "Not A Department!"}, "suggested_department"),
    ("/tasks/{id}/progress", {"note": ""}, "note"),
    ("/tasks/{id}/progress", {"note": "x", "attachments": ["not a url"]}, "attachments.0"),
    ("/tasks/{id}/complete", {}, "resolution"),
    ("/tasks/{id}/complete", {"resolution": "x" * 4001}, "resolution"),
])
def test_invalid_fields_are_named(shared: Gateway, path: str, body: dict, field: str) -> None:
    before = stored_events(shared.client)
    problem = assert_problem(shared.call("POST", path, "case", body, key=shared.keys["housing"]), 422,
                             "validation-error")
    assert field in [e["field"] for e in problem["errors"]]
    assert stored_events(shared.client) == before


def test_a_task_is_accepted_responded_worked_and_completed(gateway: Gateway) -> None:
    key = gateway.keys["housing"]
    early = gateway.call("POST", "/tasks/{id}/complete", "case", {"resolution": "done"}, key=key)
    assert assert_problem(early, 409, "invalid-transition")["task_status"] == "offered"
    steps = [("/tasks/{id}/accept", None, "accepted"), ("/tasks/{id}/respond", {"note": "called"}, "responded"),
             ("/tasks/{id}/progress", {"note": "plumber booked", "attachments": ["https://f.example/a.jpg"]},
              "responded"), ("/tasks/{id}/complete", {"resolution": "pipe replaced"}, "completed")]
    for path, body, status in steps:
        response = gateway.call("POST", path, "case", body, key=key)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    events = [(t, d) for t, d in stored_events(gateway.client) if d["task_id"] == gateway.tasks["case"]]
    assert [t for t, _ in events] == ["task.accepted.v1", "task.responded.v1", "task.progress_reported.v1",
                                      "task.completed.v1"]
    assert events[2][1]["attachments"] == ["https://f.example/a.jpg"]
    assert events[3][1]["resolution"] == "pipe replaced" and events[3][1]["department_id"] == "housing"
    assert gateway.call("GET", "/tasks/{id}", "case", key=key).json()["status"] == "completed"


def test_a_returned_task_cannot_be_accepted_and_the_return_carries_its_reason(gateway: Gateway) -> None:
    key = gateway.keys["housing"]
    body = {"reason": "not_our_remit", "note": "the property firm's job", "suggested_department": "property-firm"}
    assert gateway.call("POST", "/tasks/{id}/return", "case", body, key=key).json()["status"] == "returned"
    late = gateway.call("POST", "/tasks/{id}/accept", "case", key=key)
    assert assert_problem(late, 409, "invalid-transition")["task_status"] == "returned"
    (returned,) = [d for t, d in stored_events(gateway.client) if t == "task.returned.v2"]
    assert {k: returned[k] for k in body} == body


def test_only_a_whistle_task_reports_in(gateway: Gateway) -> None:
    key = gateway.keys["housing"]
    refused = gateway.call("POST", "/tasks/{id}/report-in", "case", {}, key=key)
    assert "whistle" in assert_problem(refused, 409, "invalid-transition")["detail"]
    assert gateway.call("POST", "/tasks/{id}/report-in", "whistle", {"note": "on site"}, key=key).json()["status"] \
        == "reported_in"
    (reported,) = [d for t, d in stored_events(gateway.client) if t == "task.reported_in.v1"]
    assert reported["whistle_id"] == "whistle-1" and reported["note"] == "on site"


def test_an_idempotency_key_returns_the_first_answer_and_never_a_second_event(gateway: Gateway) -> None:
    key, idem = gateway.keys["housing"], {"Idempotency-Key": str(uuid.uuid4())}
    first = gateway.call("POST", "/tasks/{id}/accept", "case", key=key, headers=idem)
    again = gateway.call("POST", "/tasks/{id}/accept", "case", key=key, headers=idem)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert [t for t, _ in stored_events(gateway.client)] == ["task.accepted.v1"]
    progress = {"Idempotency-Key": "progress-1"}
    assert gateway.call("POST", "/tasks/{id}/progress", "case", {"note": "a"}, key=key, headers=progress).json()
    before = stored_events(gateway.client)
    for path, body in (("/tasks/{id}/progress", {"note": "b"}), ("/tasks/{id}/complete", {"resolution": "a"})):
        reused = gateway.call("POST", path, "case", body, key=key, headers=progress)
        assert_problem(reused, 422, "idempotency-key-reused")
    assert stored_events(gateway.client) == before
    # Keys belong to their department: another department's identical key is its own.
    other = gateway.call("POST", "/tasks/{id}/accept", "fire", key=gateway.keys["fire-safety"], headers=idem)
    assert other.status_code == 200 and other.json()["task_id"] == gateway.tasks["fire"]


def test_a_cancelled_task_shows_cancelled_and_refuses_work(gateway: Gateway) -> None:
    key = gateway.keys["housing"]
    assert gateway.call("POST", "/tasks/{id}/accept", "case", key=key).status_code == 200
    task = gateway.call("GET", "/tasks/{id}", "case", key=key).json()
    gateway.log.publish(task["case_id"], TaskCancelled(task_id=task["task_id"], case_id=task["case_id"],
                                                       department_id="housing", reason="case withdrawn"))
    eventually(lambda: gateway.call("GET", "/tasks/{id}", "case", key=key).json()["status"] == "cancelled",
               what="the cancellation")
    refused = gateway.call("POST", "/tasks/{id}/complete", "case", {"resolution": "x"}, key=key)
    assert assert_problem(refused, 409, "invalid-transition")["task_status"] == "cancelled"
