"""The reference department against a real gateway over HTTP: it verifies the webhooks, and accepts,
returns, responds, reports in and completes as configured — also for a department that only polls."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from deploy.local_stack import free_port
from jiesu_gateway.bootstrap import build_app
from jiesu_reference_department.app import build_app as build_department
from jiesu_reference_department.config import ReferenceDepartmentSettings
from tests.integration.gateway_harness import Log, gateway_settings, offer, stored_events
from tests.support.waiting import eventually


class Served:
    """A FastAPI app on a real port, in this process, with its lifespan (workers, consumers) running."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class Client:
    """Enough of TestClient's shape for stored_events()."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Served, Log]]:
    settings = gateway_settings(tmp_path)
    gateway = Served(build_app(settings))
    yield gateway, Log(Path(settings.embedded_log_path), settings.topic)
    gateway.stop()


def register(gateway: Served, department: str, webhook_url: str | None) -> dict:
    import httpx

    token = gateway.app.state.kernel.settings.admin_token.get_secret_value()
    response = httpx.post(f"{gateway.url}/admin/departments", headers={"authorization": f"Bearer {token}"},
                          json={"department_id": department, "name": department, "webhook_url": webhook_url})
    assert response.status_code == 201, response.text
    return {"api_key": response.json()["api_key"], "webhook_secret": response.json()["webhook_secret"]}


def test_the_reference_department_answers_by_its_configured_behaviour(stack: tuple[Served, Log]) -> None:
    gateway, log = stack
    port = free_port()
    hooks = f"http://127.0.0.1:{port}/webhooks"
    credentials = {d: register(gateway, d, f"{hooks}/{d}") for d in ("property-firm", "housing", "fire-safety")}
    credentials["street-office"] = register(gateway, "street-office", None)  # no webhook: it polls
    behaviour = {"housing": {"return_rate": 1.0, "return_reasons": ["wrong_jurisdiction"],
                             "suggest_department": "street-office"},
                 "fire-safety": {"complete_after_seconds": None}}
    department = Served(build_department(ReferenceDepartmentSettings(
        gateway_url=gateway.url, port=port, credentials_json=json.dumps(credentials), seed=7,
        decide_after_seconds=0.05, respond_after_seconds=0.05, complete_after_seconds=0.05,
        behaviour_json=json.dumps(behaviour), poll_interval_seconds=0.2)), port)
    try:
        offers = {"property-firm": offer("property-firm", case_id="case-1"),
                  "housing": offer("housing", case_id="case-2"),
                  "fire-safety": offer("fire-safety", case_id="case-3", kind="whistle_report_in"),
                  "street-office": offer("street-office", case_id="case-4")}
        for o in offers.values():
            log.publish(o.case_id, o)

        def story() -> dict[str, list[str]]:
            events = stored_events(Client(gateway.app))  # type: ignore[arg-type]
            return {d: [t.removeprefix("task.").rsplit(".v", 1)[0] for t, data in events
                        if data["task_id"] == o.task_id] for d, o in offers.items()}

        def answers() -> dict[str, list[str]]:  # the webhook's outcome may land just before or after the answer
            return {d: [t for t in told if t != "notified"] + (["notified"] if "notified" in told else [])
                    for d, told in story().items()}

        expected = {"property-firm": ["accepted", "responded", "completed", "notified"],
                    "housing": ["returned", "notified"],
                    "fire-safety": ["reported_in", "notified"],  # configured never to complete
                    "street-office": ["accepted", "responded", "completed"]}  # found by polling, no webhook
        def settled() -> bool:
            got = answers()
            assert got == expected, got  # eventually() reports what it saw last
            return True

        eventually(settled, timeout=30, what="the departments' answers")
        (returned,) = [d for t, d in stored_events(Client(gateway.app)) if t == "task.returned.v2"]  # type: ignore[arg-type]
        assert (returned["reason"], returned["suggested_department"]) == ("wrong_jurisdiction", "street-office")
    finally:
        department.stop()
