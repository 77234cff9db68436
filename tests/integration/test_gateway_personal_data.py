"""Personal data on a need-to-know basis (issue 11): a department sees the citizen's address and contact
only while it holds a live task on the case, in the webhook it receives and in `GET /tasks/{id}`, fetched
from intake (a real HTTP stand-in recording each call) at that moment; the gateway's own database, its
delivery log, its logs and the event log never hold them; an erased citizen or an unreachable intake
never blocks a delivery."""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.catalogue.dispatch import CaseEscalated

from deploy.local_stack import free_port
from jiesu_gateway.bootstrap import build_app
from tests.integration.gateway_harness import Log, bearer, gateway_settings, offer, register
from tests.integration.intake_standin import IntakeStandIn
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

PHONE, STREET, NAME, EMAIL = "13912345678", "沙滩北街27号", "司马相如", "sima.xiangru@example.cn"
ADDRESS_ID = "BJ-DC-SHATAN-027"  # a gazetteer id pinpoints the house as the words do
PLANTED = {"text": f"我是{NAME}，住东城区{STREET}，楼道灯坏了，电话{PHONE}", "address": f"北京市东城区{STREET}",
           "address_id": ADDRESS_ID, "latitude": 39.9246, "longitude": 116.3985,
           "contact": {"name": NAME, "phone": PHONE, "email": EMAIL}}
NEEDLES = (PHONE, STREET, NAME, EMAIL, ADDRESS_ID)


class Stack:
    """The gateway (system clock: the receiver checks timestamps), intake's stand-in, a webhook receiver."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.intake = IntakeStandIn(token=secrets.token_urlsafe(18))
        self.receiver = WebhookReceiver()
        self.intake_url = self.intake.start()
        self.hooks_url = self.receiver.start()

    @contextmanager
    def gateway(self, **overrides: Any) -> Iterator[TestClient]:
        values = {"intake_url": self.intake_url, "intake_token": self.intake.token, **overrides}
        self.settings = gateway_settings(self.tmp_path, **values)
        self.log = Log(Path(self.settings.embedded_log_path), self.settings.topic)
        with TestClient(build_app(self.settings)) as client:
            yield client

    def register(self, client: TestClient, department: str, *, webhook: bool = True) -> str:
        admin = self.settings.admin_token.get_secret_value()  # type: ignore[union-attr]
        registered = register(client, admin, department, f"{self.hooks_url}/{department}" if webhook else None)
        self.receiver.secrets[department] = registered["webhook_secret"]
        return registered["api_key"]

    def offer(self, department: str, *, planted: bool = True, **extra: Any) -> Any:
        task = offer(department, **extra)
        if planted:
            self.intake.personal[task.case_id] = PLANTED
        self.log.publish(task.case_id, task)
        return task

    def webhooks(self, department: str, count: int = 1) -> list[dict]:
        received = eventually(lambda: len(self.receiver.for_department(department)) >= count and
                              self.receiver.for_department(department), what=f"{count} webhook(s) to {department}")
        assert all(d.verified for d in received), "the body sent, personal data included, is the body signed"
        return [d.body for d in received]

    def stop(self) -> None:
        self.intake.stop()
        self.receiver.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path)
    yield s
    s.stop()


def raw_bytes(directory: Path) -> bytes:
    """Every byte of the gateway's SQLite database and of the embedded log, WAL and journal included."""
    return b"".join(p.read_bytes() for p in sorted(directory.glob("*.sqlite3*")))


def assert_absent(haystack: bytes | str, where: str) -> None:
    data = haystack.encode() if isinstance(haystack, str) else haystack
    for needle in NEEDLES:  # as UTF-8 and as JSON's \\u escapes
        for form in (needle.encode(), json.dumps(needle).strip('"').encode()):
            assert form not in data, f"{needle!r} found in {where}"


def polled(client: TestClient, key: str, task_id: str) -> dict:
    response = eventually(lambda: (r := client.get(f"/tasks/{task_id}", headers=bearer(key))).status_code == 200
                          and r, what=f"task {task_id}")
    return response.json()


def test_a_live_tasks_webhook_carries_the_citizens_details_that_the_gateway_never_keeps(
        stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with stack.gateway() as client:
        key = stack.register(client, "housing")
        task = stack.offer("housing")
        (webhook,) = stack.webhooks("housing")
        assert webhook["type"] == "task.offered" and webhook["data"]["task_id"] == task.task_id
        assert (webhook["data"]["personal"], webhook["data"]["personal_status"]) == (PLANTED, "disclosed")
        (asked,) = stack.intake.calls_for(task.case_id)
        assert asked.body == {"department": "housing", "task_id": task.task_id, "purpose": "webhook"}

        deliveries = eventually(lambda: (r := client.get("/deliveries", headers=bearer(key))).json()["deliveries"]
                                and r.json()["deliveries"][0]["status"] == "delivered" and r, what="delivered")
        assert_absent(deliveries.text, "GET /deliveries")
        listed = client.get("/tasks", headers=bearer(key)).json()["tasks"]
        assert [t["task_id"] for t in listed] == [task.task_id] and "personal" not in listed[0]
        assert_absent(json.dumps(listed, ensure_ascii=False), "GET /tasks")

        shown = polled(client, key, task.task_id)
        assert (shown["personal"], shown["personal_status"]) == (PLANTED, "disclosed")
        assert stack.intake.calls_for(task.case_id)[-1].body["purpose"] == "task_api"
    stored = raw_bytes(stack.tmp_path)
    assert task.task_id.encode() in stored and task.case_id in caplog.text  # the scans see real content
    assert_absent(stored, "the gateway's database file or the log")
    assert_absent(caplog.text, "the gateway's logs")


def test_a_task_no_longer_live_shows_no_personal_data_and_intake_is_not_even_asked(stack: Stack) -> None:
    with stack.gateway() as client:
        key = stack.register(client, "housing", webhook=False)
        returned, completed, accepted = (stack.offer("housing") for _ in range(3))
        for task in (returned, completed, accepted):
            polled(client, key, task.task_id)
        steps = [(returned, "return", {"reason": "not_our_remit"}), (completed, "accept", None),
                 (completed, "complete", {"resolution": "light replaced"}), (accepted, "accept", None)]
        for task, action, body in steps:
            assert client.post(f"/tasks/{task.task_id}/{action}", json=body, headers=bearer(key)).status_code == 200
        asked_before = len(stack.intake.calls)
        for task in (returned, completed):
            shown = polled(client, key, task.task_id)
            assert (shown["personal"], shown["personal_status"]) == (None, "not_live"), shown["status"]
        assert len(stack.intake.calls) == asked_before
        still_live = polled(client, key, accepted.task_id)
        assert (still_live["status"], still_live["personal"]) == ("accepted", PLANTED)


def test_a_case_update_after_the_task_finished_carries_no_personal_data(stack: Stack) -> None:
    with stack.gateway() as client:
        key = stack.register(client, "housing")
        task = stack.offer("housing")
        stack.webhooks("housing")
        for action, body in (("accept", None), ("complete", {"resolution": "light replaced"})):
            assert client.post(f"/tasks/{task.task_id}/{action}", json=body, headers=bearer(key)).status_code == 200
        asked_before = len(stack.intake.calls)
        stack.log.publish(task.case_id, CaseEscalated(case_id=task.case_id, reason="citizen unhappy", return_count=0))
        update = stack.webhooks("housing", 2)[1]
        assert update["type"] == "case.escalated"
        assert (update["data"]["personal"], update["data"]["personal_status"]) == (None, "not_live")
        assert len(stack.intake.calls) == asked_before


def test_an_erased_citizen_is_said_so_and_the_delivery_still_goes_through(stack: Stack) -> None:
    with stack.gateway() as client:
        key = stack.register(client, "housing")
        task = offer("housing")
        stack.intake.erased.add(task.case_id)
        stack.log.publish(task.case_id, task)
        (webhook,) = stack.webhooks("housing")
        assert (webhook["data"]["personal"], webhook["data"]["personal_status"]) == (None, "erased")
        shown = polled(client, key, task.task_id)
        assert (shown["personal"], shown["personal_status"]) == (None, "erased")
        eventually(lambda: client.get("/deliveries", headers=bearer(key)).json()["deliveries"][0]["status"]
                   == "delivered", what="the delivery recorded as delivered")


@pytest.mark.parametrize("trouble", ["unreachable", "failing"])
def test_an_unreachable_or_failing_intake_never_blocks_a_delivery(stack: Stack, trouble: str) -> None:
    overrides = {"intake_url": f"http://127.0.0.1:{free_port()}"} if trouble == "unreachable" else {}
    stack.intake.failing = trouble == "failing"
    with stack.gateway(**overrides) as client:
        key = stack.register(client, "housing")
        task = stack.offer("housing")
        (webhook,) = stack.webhooks("housing")
        assert (webhook["data"]["personal"], webhook["data"]["personal_status"]) == (None, "unavailable")
        eventually(lambda: client.get("/deliveries", headers=bearer(key)).json()["deliveries"][0]["status"]
                   == "delivered", what="the delivery recorded as delivered")
        stack.intake.failing = False  # intake is back: the department fetches the details through the task API
        shown = polled(client, key, task.task_id)
        expected = ("unavailable", None) if trouble == "unreachable" else ("disclosed", PLANTED)
        assert (shown["personal_status"], shown["personal"]) == expected


def test_without_an_intake_token_nothing_personal_is_ever_fetched(stack: Stack) -> None:
    with stack.gateway(intake_token=None) as client:
        key = stack.register(client, "housing")
        task = stack.offer("housing")
        (webhook,) = stack.webhooks("housing")
        assert (webhook["data"]["personal"], webhook["data"]["personal_status"]) == (None, "not_configured")
        shown = polled(client, key, task.task_id)
        assert (shown["personal"], shown["personal_status"]) == (None, "not_configured")
        assert stack.intake.calls == []


def test_another_departments_task_answers_404_without_asking_intake(stack: Stack) -> None:
    with stack.gateway() as client:
        housing = stack.register(client, "housing", webhook=False)
        fire = stack.register(client, "fire-safety", webhook=False)
        task = stack.offer("housing")
        polled(client, housing, task.task_id)
        asked_before = len(stack.intake.calls)
        foreign = client.get(f"/tasks/{task.task_id}", headers=bearer(fire))
        missing = client.get("/tasks/task-none-such", headers=bearer(fire))
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["title"] == missing.json()["title"]
        assert_absent(foreign.text, "a 404")
        assert len(stack.intake.calls) == asked_before


def test_the_openapi_document_shows_the_personal_fields(stack: Stack) -> None:
    with stack.gateway() as client:
        document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    get_task = document["paths"]["/tasks/{task_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    detail = schemas[get_task["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"personal", "personal_status"} <= set(detail["properties"])
    assert "personal" not in schemas["TaskRead"]["properties"]  # lists (TaskPage) never carry it
    offered = document["webhooks"]["task.offered"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    data = schemas[schemas[offered["$ref"].rsplit("/", 1)[-1]]["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
    assert {"personal", "personal_status", "task_id"} <= set(data["properties"])
