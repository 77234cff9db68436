"""The four services and the console as separate processes on one embedded log, with one staff member per
role (tests.support.staff) and departments registered at the gateway: what the browser tests drive.
Importable by any browser test (`from tests.browser.stack import ConsoleStack`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local_stack import ServiceProcess, start_console, start_services, stop_all
from tests.support.staff import TOKENS, staff_env


@dataclass
class ConsoleStack:
    console_url: str
    urls: dict[str, str]
    admin_token: str
    processes: dict[str, ServiceProcess]
    department_keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, state_dir: Path, env: dict[str, str] | None = None) -> ConsoleStack:
        """`env` goes to every process, e.g. JIESU_OIDC_ISSUER for the services and the console alike."""
        admin_token = secrets.token_urlsafe(24)
        common = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state_dir / "log.sqlite3"),
                  "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", **staff_env(),
                  **(env or {})}
        services = start_services(common, state_dir, health_timeout=240)
        try:
            console = start_console(services, state_dir, env=env)
        except BaseException:
            stop_all(services)
            raise
        return cls(console_url=console.url, urls={n: p.url for n, p in services.items()}, admin_token=admin_token,
                   processes={**services, "console": console})

    def stop(self) -> None:
        stop_all(self.processes)

    def department(self, department_id: str) -> str:
        """A department registered at the gateway (it polls: no webhook); its API key."""
        if department_id not in self.department_keys:
            auth = {"authorization": f"Bearer {self.admin_token}"}
            answer = httpx.post(f"{self.urls['gateway']}/admin/departments", headers=auth,
                                json={"department_id": department_id, "name": department_id})
            answer.raise_for_status()
            self.department_keys[department_id] = answer.json()["api_key"]
        return self.department_keys[department_id]

    def as_role(self, role: str) -> dict[str, str]:
        return {"authorization": f"Bearer {TOKENS[role]}"}

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log_path.read_text()[-2000:]}" for name, p in self.processes.items())
