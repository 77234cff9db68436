"""Dispatch and the agency-gateway as separate processes on a real Kafka broker, with short SLA clocks,
departments answering webhooks (tests/faults/departments.py), and a load of cases appended as intake would."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.bus.port import OutgoingRecord, Publisher
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import Envelope, encode_envelope

from deploy.local_stack import ServiceProcess, free_port
from tests.faults.departments import Behaviour, Departments
from tests.support.staff import staff_env

RESPOND_WITHIN_SECONDS = 8.0
# category -> the departments the default routing rules offer it to
CATEGORIES = {"heating": ("heating-utility",), "neighbour_dispute": ("street-office",),
              "property_management": ("property-firm", "housing")}
BEHAVIOUR = {
    "heating-utility": Behaviour(respond_at=-5.0),  # well in time: no warning, no breach
    "street-office": Behaviour(respond_at=-1.0),  # just in time, after the warning's time: never a breach
    "property-firm": Behaviour(respond_at=-3.0, hold_seconds=1.5),  # in time; a slow endpoint (webhooks in flight)
    "housing": Behaviour(respond_at=+2.0),  # late: one warning and one breach
}
MODULES = {"dispatch": "jiesu_dispatch", "gateway": "jiesu_gateway"}


@dataclass
class Stack:
    bootstrap: str
    state: Path
    database_urls: dict[str, str] = field(default_factory=dict)  # service -> a database its instances share
    unique: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    departments: Departments = field(default_factory=lambda: Departments(behaviour=dict(BEHAVIOUR)))
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    topic: str = ""

    def __post_init__(self) -> None:
        self.topic = f"faults.{self.unique}"

    def env(self, name: str) -> dict[str, str]:
        service = name.split("-")[0]
        database = self.database_urls.get(service) or f"sqlite:///{self.state}/{service}.sqlite3"
        return {"JIESU_BUS": "kafka", "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "JIESU_TOPIC": self.topic,
                "JIESU_DEAD_LETTER_TOPIC": f"{self.topic}.dlq", "JIESU_CONSUMER_GROUP_PREFIX": f"faults-{self.unique}",
                "JIESU_ADMIN_TOKEN": self.admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
                "JIESU_RESPOND_WITHIN_HOURS": str(RESPOND_WITHIN_SECONDS / 3600),
                "JIESU_WEBHOOK_TIMEOUT_SECONDS": "10", "JIESU_PORT": str(self.ports.setdefault(name, free_port())),
                "JIESU_DATABASE_URL": database, "JIESU_LOG_LEVEL": "INFO", **staff_env()}

    def start(self, name: str) -> ServiceProcess:
        """Start (or restart, on the same port and database) one service process and wait until it serves."""
        process = ServiceProcess(MODULES[name.split("-")[0]], self.env(name),
                                 self.state / "logs" / f"{name}-{time.monotonic_ns()}.log")
        process.wait_healthy(timeout=90)
        self.processes[name] = process
        return process

    def kill(self, name: str) -> float:
        """kill -9: no shutdown, no flush; returns when (monotonic) it died."""
        process = self.processes[name]
        os.kill(process.process.pid, signal.SIGKILL)
        process.process.wait()
        return time.monotonic()

    def up(self, *names: str) -> None:
        """Start the named instances (e.g. "dispatch", "gateway-a", "gateway-b"); departments use the last gateway."""
        hooks = self.departments.start()
        for name in names:
            self.start(name)
        gateway = [n for n in names if n.startswith("gateway")][-1]
        self.departments.gateway_url = f"http://127.0.0.1:{self.ports[gateway]}"
        for department in BEHAVIOUR:
            answer = httpx.post(f"{self.departments.gateway_url}/admin/departments",
                                headers={"authorization": f"Bearer {self.admin_token}"},
                                json={"department_id": department, "name": department.title(),
                                      "webhook_url": f"{hooks}/{department}"})
            assert answer.status_code == 201, answer.text
            self.departments.keys[department] = answer.json()["api_key"]

    def down(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.departments.stop()

    async def load(self, cases: int, per_second: float, during: dict[int, object] | None = None) -> list[str]:
        """Append `cases` case.received events at a steady rate; call during[n]() after the n-th case."""
        publisher = KafkaBus(self.bootstrap, client_id="fault-load").publisher()
        await publisher.start()
        ids, categories, faults = [], list(CATEGORIES), []
        try:
            started = time.monotonic()
            for n in range(cases):
                case_id = f"case-{self.unique}-{n}"
                await publish_until_taken(publisher, received(self.topic, case_id, categories[n % len(categories)]))
                ids.append(case_id)
                if during and n in during:  # the fault runs while the load goes on
                    faults.append(asyncio.create_task(asyncio.to_thread(during[n])))  # type: ignore[arg-type]
                await asyncio.sleep(max(0.0, started + (n + 1) / per_second - time.monotonic()))
            await asyncio.gather(*faults)
        finally:
            await publisher.stop()
        return ids


async def publish_until_taken(publisher: Publisher, record: OutgoingRecord, timeout: float = 180) -> None:
    """As intake's outbox would: the broker may be away; try again (the same event id: no duplicate case)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await asyncio.wait_for(publisher.publish([record]), timeout=10)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def received(topic: str, case_id: str, category: str) -> OutgoingRecord:
    now = datetime.now(UTC)
    fact = CaseReceived(case_id=case_id, channel="hotline", text="fault-suite case", category=category,
                        place=Place(district="Dongcheng", street="Jingshan"), received_at=now)
    envelope = Envelope(id=str(uuid.uuid4()), source="/jiesu/intake", type="case.received.v1", subject=case_id,
                        time=now, sequence=1, correlationid=case_id, data=fact.model_dump(mode="json"))
    key, headers, value = encode_envelope(envelope)
    return OutgoingRecord(topic, key, value, tuple(headers))
