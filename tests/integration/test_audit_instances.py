"""Two audit instances in one consumer group on Kafka share one database: Kafka splits the partitions
between them, each event is applied once, and the answers are the folding's over the whole log (SQLite
file and PostgreSQL)."""
from __future__ import annotations

import asyncio
from itertools import islice
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.domain.history import fold
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus
from tests.domain.audit_reference.departments import department_stats, handover_network
from tests.integration.test_audit_equivalence import AS_OF, every_page, plain
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually


@pytest.mark.parametrize("bus_kind", ["kafka"])
def test_two_instances_split_the_log_and_answer_as_one(bus_kind: str, kafka_bootstrap: str, database: Database,
                                                       unique: str) -> None:
    settings = AuditSettings(bus="kafka", kafka_bootstrap_servers=kafka_bootstrap, topic=f"two.{unique}",
                             dead_letter_topic=f"two.{unique}.dlq", consumer_group_prefix=f"t{unique}",
                             database_url=database.url, staff=STAFF)
    bus = KafkaBus(kafka_bootstrap, client_id="jiesu-tests", partitions=3)
    district = generate(cases=600, seed=7)
    published: list = []

    def applied(client: TestClient) -> int:
        return client.get("/health").json()["events_applied"]

    first, second = build_app(settings, clock=lambda: AS_OF), build_app(settings, clock=lambda: AS_OF)
    with TestClient(first, headers=as_role("coordinator")) as a, TestClient(second, headers=as_role("coordinator")) as b:
        def both_have_partitions() -> bool:  # publish on until the group has split the partitions
            if batch := list(islice(district, 300)):
                asyncio.run(publish_to_bus(batch, bus, settings.topic))
                published.extend(batch)
            return applied(a) > 0 and applied(b) > 0
        eventually(both_have_partitions, timeout=120, interval=0.5, what="both instances applying events")
        published.extend(rest := list(district))
        asyncio.run(publish_to_bus(rest, bus, settings.topic))
        eventually(lambda: applied(a) + applied(b) == len(published), timeout=180, interval=0.5,
                   what="every event applied by one of the two")
        departments = a.get("/analytics/departments", params={"as_of": AS_OF.isoformat()}).json()["rows"]
        handovers = every_page(b, "/analytics/handovers", ("ping_pong", "multi_department_cases"))
    folded = fold(published)
    histories = [folded[k] for k in sorted(folded)]
    assert departments == plain(department_stats(histories, period="month", as_of=AS_OF))
    assert handovers == plain(handover_network(histories))
