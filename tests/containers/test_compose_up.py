"""deploy/compose.yaml brought up by a compose tool, as an operations team would: `podman-compose up`, the
departments registered at the gateway, the reference department started with their credentials, a citizen's
case taken from intake to a signed webhook verified by the department's container and into audit's timeline,
intake's master key rotated by the maintenance profile's one-off command, then `down --volumes`. The commands are deploy/README.md's (one host, compose). Select with `-m containers`."""
from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import free_port
from tests.containers.compose import ComposeProject, own_master_key_file
from tests.containers.journey import a_case_through_to_audit, register_departments
from tests.support.staff import as_role, staff_env
from tests.support.waiting import eventually

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

CASE = {"text": "小区路灯坏了一个月 / the estate's street lights have been out for a month",
        "channel": "hotline", "category": "property_management",
        "place": {"district": "Xicheng", "street": "Xinjiekou", "community": "Zhaodengyu"}}
SERVICES = ("kafka", "postgres", "intake", "dispatch-1", "dispatch-2", "gateway-1", "gateway-2", "audit-1",
            "audit-2", "console")


@dataclass
class Stack:
    project: ComposeProject
    urls: dict[str, str]
    admin_token: str


@pytest.fixture(scope="module")
def stack(images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    started = time.monotonic()
    ports = {name: free_port() for name in ("INTAKE_PORT", "GATEWAY_PORT", "GATEWAY_2_PORT", "AUDIT_PORT",
                                            "CONSOLE_PORT")}
    key_file = own_master_key_file(tmp_path_factory.mktemp("keys") / "intake-master-key",
                                   base64.b64encode(os.urandom(32)).decode())
    admin_token = secrets.token_urlsafe(24)
    project = ComposeProject({
        "COMPOSE_PROJECT_NAME": f"jiesu-c{uuid.uuid4().hex[:8]}",
        "JIESU_IMAGE_TAG": images["intake"].rsplit(":", 1)[1], "POSTGRES_PASSWORD": secrets.token_urlsafe(18),
        "JIESU_ADMIN_TOKEN": admin_token, "INTAKE_MASTER_KEY_FILE": str(key_file),
        "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",  # the reference department is on the private network
        **staff_env(), **{name: str(port) for name, port in ports.items()}})
    try:
        # the broker and the database first: podman-compose ignores `condition: service_healthy` before
        # podman 4.6, and services started without them only exit and start again, slowing the broker's start
        project.run("up", "--detach", "kafka", "postgres")
        for service in SERVICES[:2]:
            project.wait_healthy(service)
        project.run("up", "--detach")
        print(f"podman-compose up returned after {time.monotonic() - started:.0f} s")
        for service in SERVICES[2:]:
            project.wait_healthy(service)
        print(f"compose stack healthy {time.monotonic() - started:.0f} s after the start")
        yield Stack(project, {name.removesuffix("_PORT").lower(): f"http://127.0.0.1:{port}"
                              for name, port in ports.items()}, admin_token)
    except BaseException:
        for service in project.containers():
            print(f"---- {service} ----\n{project.logs(service)}")
        raise
    finally:
        project.down()


def start_reference_department(stack: Stack) -> None:
    """Register the departments at the gateway (webhooks to the reference department's service name), then
    start the `reference` profile with their keys and signing secrets in its environment."""
    credentials = register_departments(stack.urls["gateway"], stack.admin_token, "http://refdept:8010")
    stack.project.run("--profile", "reference", "up", "--detach", "refdept",
                      extra={"REFDEPT_CREDENTIALS_JSON": json.dumps(credentials)})
    stack.project.wait_healthy("refdept")


def test_compose_takes_a_case_from_intake_to_the_departments_container_and_audit(stack: Stack) -> None:
    start_reference_department(stack)
    case_id, _ = a_case_through_to_audit(stack.urls["intake"], stack.urls["audit"], CASE, timeout=120)

    # the second gateway shares the first one's database: it shows the same signed deliveries, delivered
    def statuses() -> set[str] | None:  # a later notice (the case's update) may still be on its way
        deliveries = httpx.get(f"{stack.urls['gateway_2']}/admin/departments/property-firm/deliveries",
                               headers={"authorization": f"Bearer {stack.admin_token}"})
        assert deliveries.status_code == 200, deliveries.text
        found = {d["status"] for d in deliveries.json()["deliveries"] if d["case_id"] == case_id}
        return found if found and "pending" not in found else None

    assert eventually(statuses, timeout=60, interval=0.5, what="the case's deliveries settled") == {"delivered"}


def test_intakes_master_key_is_rotated_with_compose_and_the_citizen_still_read(stack: Stack,
                                                                                tmp_path: Path) -> None:
    """The guide's rotation: intake stopped, the maintenance profile's one-off command re-wraps its keys, intake
    recreated with only the new key file reads the citizen's contact sealed before."""
    contact = {"name": "赵敏", "phone": "13800001111"}
    created = httpx.post(f"{stack.urls['intake']}/cases", headers=as_role("intake"),
                         json={**CASE, "text": "电梯停了两天 / the lift has been stopped for two days", "contact": contact})
    assert created.status_code == 201, created.text
    new_key = own_master_key_file(tmp_path / "intake-master-key.new", base64.b64encode(os.urandom(32)).decode())

    stack.project.run("stop", "intake")
    rotated = stack.project.run("--profile", "maintenance", "run", "--rm", "--no-deps", "intake-rotate-master-key",
                                extra={"INTAKE_NEW_MASTER_KEY_FILE": str(new_key)})
    assert "0 remain" in rotated, rotated
    stack.project.environment["INTAKE_MASTER_KEY_FILE"] = str(new_key)
    stack.project.run("up", "--detach", "--no-deps", "--force-recreate", "intake")
    stack.project.wait_healthy("intake")

    shown = httpx.get(f"{stack.urls['intake']}/cases/{created.json()['case_id']}", headers=as_role("contact"))
    assert shown.status_code == 200, shown.text
    assert {k: shown.json()["contact"][k] for k in contact} == contact
