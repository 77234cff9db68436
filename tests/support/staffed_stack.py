"""The four services as separate processes on the embedded log, with one staff member per role, an admin
token and a real webhook receiver: what the access and limits tests walk. The log is a file the tests
can read, to show what a refused request did not append."""
from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.local_stack import ServiceProcess, start_services, stop_all
from tests.support.receiver import WebhookReceiver
from tests.support.registration import register_department
from tests.support.staff import staff_env

OPEN311_KEY = "open311-walk-key"


@dataclass
class StaffedStack:
    processes: dict[str, ServiceProcess]
    admin_token: str
    receiver: WebhookReceiver
    hooks_url: str
    log_path: Path

    @property
    def urls(self) -> dict[str, str]:
        return {name: process.url for name, process in self.processes.items()}

    def register(self, department_id: str) -> str:
        """Register a department at the gateway whose webhook is the receiver; return its API key."""
        return register_department(self.urls["gateway"], self.admin_token, self.receiver, self.hooks_url,
                                   department_id)

    def log_values(self) -> list[bytes]:
        """Every record's key, headers and value on the embedded log, in order."""
        with closing(sqlite3.connect(f"file:{self.log_path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT key, headers, value FROM records ORDER BY timestamp_ms, offset").fetchall()
        return [bytes(k or b"") + str(h).encode() + bytes(v or b"") for k, h, v in rows]


@contextmanager
def staffed_stack(state_dir: Path, unique: str) -> Iterator[StaffedStack]:
    receiver = WebhookReceiver()
    hooks_url = receiver.start()
    admin_token = secrets.token_urlsafe(24)
    log_path = state_dir / "log.sqlite3"
    common = {
        "JIESU_BUS": "embedded", "JIESU_TOPIC": f"walk.cases.{unique}", "JIESU_DEAD_LETTER_TOPIC": f"walk.dlq.{unique}",
        "JIESU_CONSUMER_GROUP_PREFIX": f"walk-{unique}", "JIESU_EMBEDDED_LOG_PATH": str(log_path),
        "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", "JIESU_LOG_LEVEL": "INFO",
        "JIESU_OPEN311_API_KEYS": f'{{"{OPEN311_KEY}": "walk-client"}}', **staff_env(),
    }
    try:
        processes = start_services(common, state_dir)
    except BaseException:
        receiver.stop()
        raise
    try:
        yield StaffedStack(processes=processes, admin_token=admin_token, receiver=receiver, hooks_url=hooks_url,
                           log_path=log_path)
    finally:
        stop_all(processes)
        receiver.stop()
