"""The call-back cycle (回访) across the four services on the real Kafka broker: an Open311 client reports a
cold radiator, dispatch offers it, the heating utility handles it through the gateway, intake queues the
call-back, the citizen is unhappy so the case is reopened and handled again, then closed satisfied."""
from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import start_services, stop_all
from tests.e2e.conftest import Deployment
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually
from tests.support.staff import staff_env

OPERATOR = secrets.token_urlsafe(16)
CALLER = {"authorization": f"Bearer {OPERATOR}"}
API_KEY = secrets.token_urlsafe(16)
LEAD = "heating-utility"  # dispatch's default routing for the subject heating


@pytest.fixture
def deployment(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Deployment]:
    unique = uuid.uuid4().hex[:12]
    receiver = WebhookReceiver()
    hooks_url = receiver.start()
    admin_token = secrets.token_urlsafe(24)
    env = {"JIESU_BUS": "kafka", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "JIESU_TOPIC": f"e2e.cases.{unique}",
           "JIESU_DEAD_LETTER_TOPIC": f"e2e.dlq.{unique}", "JIESU_CONSUMER_GROUP_PREFIX": f"e2e-{unique}",
           "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
           "JIESU_EMBEDDED_LOG_PATH": str(tmp_path / "unused.sqlite3"),
           "JIESU_STAFF": json.dumps([*json.loads(staff_env()["JIESU_STAFF"]),
                                      {"id": "op-liu", "token": OPERATOR, "roles": ["callback", "contact"]}]),
           "JIESU_OPEN311_API_KEYS": json.dumps({API_KEY: "citizen-app"})}
    try:
        processes = start_services(env, tmp_path)
    except BaseException:
        receiver.stop()
        raise
    try:
        yield Deployment(urls={n: p.url for n, p in processes.items()}, admin_token=admin_token, receiver=receiver,
                         hooks_url=hooks_url, trace_dir=tmp_path / "traces", processes=processes)
    finally:
        stop_all(processes)
        receiver.stop()


def handle(deployment: Deployment, key: str, case_id: str, resolution: str) -> None:
    """The lead department accepts its open task and completes it, through the gateway's API."""
    auth = {"authorization": f"Bearer {key}"}

    def offered() -> dict | None:
        tasks = httpx.get(f"{deployment.urls['gateway']}/tasks", params={"case_id": case_id, "status": "offered"},
                          headers=auth).json()["tasks"]
        return next(iter(tasks), None)

    task = eventually(offered, timeout=60, what=f"a task offered to {LEAD}")
    for action, body in (("accept", None), ("complete", {"resolution": resolution})):
        answer = httpx.post(f"{deployment.urls['gateway']}/tasks/{task['task_id']}/{action}", json=body, headers=auth)
        assert answer.status_code == 200, answer.text


def queued(deployment: Deployment, case_id: str) -> dict:
    def probe() -> dict | None:
        queue = httpx.get(f"{deployment.urls['intake']}/callback-queue", headers=CALLER).json()
        return next((e for e in queue if e["case_id"] == case_id), None)

    return eventually(probe, timeout=60, what="the case in intake's call-back queue")


def test_an_unhappy_citizen_reopens_the_case_and_the_second_handling_closes_it(deployment: Deployment) -> None:
    key = deployment.register(LEAD)
    intake = deployment.urls["intake"]
    created = httpx.post(f"{intake}/open311/v2/requests.json", data={
        "api_key": API_KEY, "service_code": "heating", "lat": "39.9288", "long": "116.3884",
        "description": "暖气不热，室温只有十五度 / radiators cold", "phone": "13600001111",
        "attribute[district]": "Xicheng", "attribute[street]": "Shichahai"})
    assert created.status_code == 201, created.text
    case_id = created.json()[0]["service_request_id"]

    handle(deployment, key, case_id, "排气阀已疏通 / air valve cleared")
    assert queued(deployment, case_id)["lead_department"] == LEAD
    verdict = httpx.post(f"{intake}/cases/{case_id}/callback", headers=CALLER, json={
        "outcome": "resolved_unsatisfied", "satisfaction": "dissatisfied"})
    reopened = httpx.post(f"{intake}/cases/{case_id}/reopen", headers=CALLER, json={"reason": "still 16 °C"})
    assert verdict.status_code == 200 and reopened.status_code == 200, reopened.text

    handle(deployment, key, case_id, "更换循环泵 / circulation pump replaced")  # dispatch offered it again
    assert queued(deployment, case_id)["reopen_count"] == 1
    httpx.post(f"{intake}/cases/{case_id}/callback", headers=CALLER,
               json={"outcome": "resolved_satisfied", "satisfaction": "satisfied"}).raise_for_status()
    closed = httpx.post(f"{intake}/cases/{case_id}/close", headers=CALLER)
    assert closed.status_code == 200 and closed.json()["outcome"] == "resolved_satisfied"

    def closed_in_audit() -> list[str] | None:
        answer = httpx.get(f"{deployment.urls['audit']}/cases/{case_id}/timeline", headers=CALLER)
        types = [e["type"] for e in answer.json()["events"]] if answer.status_code == 200 else []
        return types if "case.closed.v1" in types else None

    types = eventually(closed_in_audit, timeout=60, what="case.closed in audit's timeline")
    assert types.count("case.handled.v1") == 2 and types.count("case.reopened.v1") == 1
    after_reopen = types[types.index("case.reopened.v1"):]
    assert "task.offered.v1" in after_reopen and "case.closed.v1" in after_reopen  # dispatched again, then closed
    status = httpx.get(f"{intake}/open311/v2/requests/{case_id}.json").json()[0]
    assert status["status"] == "closed"
