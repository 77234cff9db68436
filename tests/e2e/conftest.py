"""The four services as separate processes on a real log, with a real webhook receiver for departments."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local_stack import ServiceProcess, start_services, stop_all
from tests.support.receiver import WebhookReceiver
from tests.support.registration import register_department
from tests.support.staff import staff_env


@dataclass
class Deployment:
    urls: dict[str, str]
    admin_token: str
    receiver: WebhookReceiver
    hooks_url: str
    trace_dir: Path
    processes: dict[str, ServiceProcess]

    def register(self, department_id: str) -> str:
        """Register a department whose webhook is the receiver; return its API key."""
        return register_department(self.urls["gateway"], self.admin_token, self.receiver, self.hooks_url,
                                   department_id)


@pytest.fixture
def deployment(bus_kind: str, request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[Deployment]:
    receiver = WebhookReceiver()
    hooks_url = receiver.start()
    admin_token = secrets.token_urlsafe(24)
    common = {
        "JIESU_BUS": bus_kind, "JIESU_TOPIC": f"e2e.cases.{unique}", "JIESU_DEAD_LETTER_TOPIC": f"e2e.dlq.{unique}",
        "JIESU_CONSUMER_GROUP_PREFIX": f"e2e-{unique}", "JIESU_EMBEDDED_LOG_PATH": str(tmp_path / "log.sqlite3"),
        "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", "JIESU_LOG_LEVEL": "INFO",
        **staff_env(),
    }
    if bus_kind == "kafka":
        common["KAFKA_BOOTSTRAP_SERVERS"] = request.getfixturevalue("kafka_bootstrap")
    try:
        processes = start_services(common, tmp_path)
    except BaseException:
        receiver.stop()
        raise
    try:
        yield Deployment(urls={n: p.url for n, p in processes.items()}, admin_token=admin_token,
                         receiver=receiver, hooks_url=hooks_url, trace_dir=tmp_path / "traces", processes=processes)
    finally:
        stop_all(processes)
        receiver.stop()
