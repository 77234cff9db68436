"""The deployment proved by running it: the images built by deploy/images.sh (Debian base made by
debootstrap, wheels from uv.lock installed offline), Kafka and PostgreSQL in containers too, and a
citizen's case taken from intake to a signed webhook verified by the reference department's container,
which accepts the task, and to the case's timeline in audit. Select with `-m containers`."""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from deploy.local_stack import free_port
from tests.containers.journey import a_case_through_to_audit, register_departments
from tests.containers.podman import Containers, podman
from tests.support.staff import as_role, staff_env
from tests.support.waiting import eventually

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

CASE = {"text": "楼上漏水三天了，物业不管 / water has leaked from upstairs for three days",
        "channel": "hotline", "category": "property_management",
        "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing"}}
MASTER_KEY_PATH = "/run/secrets/intake-master-key"  # as deploy/compose.yaml mounts it


@dataclass
class Topology:
    containers: Containers
    urls: dict[str, str]
    admin_token: str
    metrics: dict[str, str]  # instance -> its /metrics URL
    images: dict[str, str]


@pytest.fixture(scope="module")
def topology(images: dict[str, str]) -> Iterator[Topology]:
    started = time.monotonic()
    containers = Containers(f"jiesu-t{uuid.uuid4().hex[:8]}")
    kafka, kafka_controller, pg = free_port(), free_port(), free_port()
    password, admin_token = secrets.token_urlsafe(18), secrets.token_urlsafe(24)
    try:
        containers.run("kafka", images["kafka"], {"KAFKA_PORT": str(kafka), "KAFKA_CONTROLLER_PORT": str(kafka_controller),
                                                 "KAFKA_LISTEN_HOST": "127.0.0.1"})
        containers.run("postgres", images["postgres"], {"POSTGRES_PORT": str(pg), "POSTGRES_PASSWORD": password,
                                                       "POSTGRES_LISTEN": "127.0.0.1"})
        containers.wait_healthy("kafka")
        containers.wait_healthy("postgres")
        # as in deploy/compose.yaml: one intake, two instances each of dispatch, the gateway and audit
        names = ("intake", "dispatch-1", "dispatch-2", "gateway-1", "gateway-2", "audit-1", "audit-2")
        ports = {name: free_port() for name in (*names, "console")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        urls.update({service: urls[f"{service}-1"] for service in ("dispatch", "gateway", "audit")})
        metrics_ports = {name: free_port() for name in names}
        metrics = {name: f"http://127.0.0.1:{port}/metrics" for name, port in metrics_ports.items()}
        common = {"JIESU_BUS": "kafka", "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka}", "JIESU_HOST": "127.0.0.1",
                  "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
                  "JIESU_INTAKE_URL": urls["intake"], **staff_env()}
        master_key = containers.secret("intake-master-key", base64.b64encode(os.urandom(32)).decode())
        for name in names:
            service = name.split("-")[0]
            keys = {"JIESU_MASTER_KEY_FILE": MASTER_KEY_PATH} if service == "intake" else {}
            containers.run(name, images[service], {
                **common, **keys, "JIESU_PORT": str(ports[name]), "JIESU_METRICS_PORT": str(metrics_ports[name]),
                "JIESU_DATABASE_URL": f"postgresql+psycopg://jiesu:{password}@127.0.0.1:{pg}/jiesu_{service}"},
                secrets={master_key: MASTER_KEY_PATH} if service == "intake" else {})
        console_metrics = free_port()
        containers.run("console", images["console"], {
            "JIESU_HOST": "127.0.0.1", "JIESU_PORT": str(ports["console"]), "JIESU_METRICS_PORT": str(console_metrics),
            "JIESU_DATABASE_URL": f"postgresql+psycopg://jiesu:{password}@127.0.0.1:{pg}/jiesu_console",
            **{f"JIESU_{n.upper()}_URL": urls[n] for n in ("intake", "dispatch", "gateway", "audit")}})
        for name in (*names, "console"):
            containers.wait_healthy(name)
        print(f"topology healthy {time.monotonic() - started:.0f} s after the start")
        urls["console-metrics"] = f"http://127.0.0.1:{console_metrics}/metrics"
        yield Topology(containers, urls, admin_token, metrics, images)
    except BaseException:
        for name in containers.short_names():
            print(f"---- {name} ----\n{containers.logs(name)}")
        raise
    finally:
        containers.remove_all()


def start_reference_department(topology: Topology) -> str:
    """Register the departments at the gateway (as the administrator), webhooks to the reference
    department's container, which gets their keys and signing secrets from its environment only."""
    port = free_port()
    credentials = register_departments(topology.urls["gateway"], topology.admin_token, f"http://127.0.0.1:{port}")
    topology.containers.run("refdept", topology.images["refdept"], {
        "REFDEPT_HOST": "127.0.0.1", "REFDEPT_PORT": str(port), "REFDEPT_GATEWAY_URL": topology.urls["gateway"],
        "REFDEPT_CREDENTIALS_JSON": json.dumps(credentials), "REFDEPT_DECIDE_AFTER_SECONDS": "0.2",
        "REFDEPT_RESPOND_AFTER_SECONDS": "0.2", "REFDEPT_COMPLETE_AFTER_SECONDS": "0.5"})
    topology.containers.wait_healthy("refdept")
    return f"http://127.0.0.1:{port}"


def test_a_case_goes_from_intake_to_the_departments_container_and_into_audits_timeline(topology: Topology) -> None:
    start_reference_department(topology)
    a_case_through_to_audit(topology.urls["intake"], topology.urls["audit"], CASE, timeout=90)


def test_the_containers_run_as_no_root_and_hold_no_secret(topology: Topology) -> None:
    for name in (*topology.metrics, "console", "refdept"):
        assert topology.containers.user(name) == "10001", name
    for service in ("intake", "gateway", "console"):
        config = podman("image", "inspect", "--format", "{{json .Config.Env}}", topology.images[service])
        assert not re.search(r"TOKEN|PASSWORD|SECRET|DATABASE_URL", config), config


def test_every_instance_is_ready_and_serves_its_metrics(topology: Topology) -> None:
    for name, metrics_url in topology.metrics.items():
        ready = httpx.get(f"{topology.urls[name]}/ready")
        assert ready.status_code == 200 and ready.json()["database"] == "ok", (name, ready.text)
        scrape = httpx.get(metrics_url).text
        assert "jiesu_consumer_lag_up 1.0" in scrape and "jiesu_outbox_backlog" in scrape, name
        assert re.search(r'jiesu_consumer_lag\{group="[^"]+",partition="0"', scrape), name  # each group's lag
    console = httpx.get(topology.urls["console-metrics"]).text  # the console's HTTP latency (HEALTHCHECK's calls)
    assert 'jiesu_http_request_duration_seconds_count{method="GET",route="/health",status="2xx"}' in console


def test_readiness_follows_the_database_and_every_instance_comes_back(topology: Topology) -> None:
    """PostgreSQL stopped: no instance answers ready (each says the database does not answer); started again:
    every instance ready without a restart (no worker gave up), and a new case goes through."""
    database = f"{topology.containers.prefix}-postgres"
    podman("stop", "--time", "10", database)
    try:
        for name in topology.metrics:
            unready = eventually(lambda n=name: _unready(topology.urls[n]), timeout=30, what=f"{name} unready")
            assert unready == "restarting" or "database" in unready["detail"], unready
    finally:
        podman("start", database)
    topology.containers.wait_healthy("postgres")
    for name in topology.metrics:
        eventually(lambda n=name: _unready(topology.urls[n]) is None, timeout=90, interval=0.5,
                   what=f"{name} ready again")
    ended = {n: workers for n in topology.metrics if (workers := topology.containers.crashed_workers(n))}
    assert ended == {}, f"workers that stopped their service during the outage: {ended}"  # they wait it out
    created = httpx.post(f"{topology.urls['intake']}/cases", json=CASE, headers=as_role("intake"))
    assert created.status_code == 201, created.text

    def dispatched() -> bool:
        answer = httpx.get(f"{topology.urls['audit']}/cases/{created.json()['case_id']}/timeline",
                           headers=as_role("coordinator"))
        return answer.status_code == 200 and "case.dispatched.v1" in {e["type"] for e in answer.json()["events"]}

    eventually(dispatched, timeout=60, interval=0.5, what="the case after the database came back, in audit")


def _unready(url: str) -> dict | str | None:
    """The /ready problem, "restarting" when nothing answers, None when ready."""
    try:
        answer = httpx.get(f"{url}/ready", timeout=10)
    except httpx.TransportError:
        return "restarting"
    return answer.json() if answer.status_code == 503 else None
