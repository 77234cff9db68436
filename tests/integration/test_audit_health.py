"""Audit's `/health` says caught_up only when every event on the log is applied (embedded log and Kafka).

Deterministic, not a race against the consumer: with a stretch of S events and a linger of ten minutes, the
consumer applies nothing until it has gathered S events. A backlog of S - 1 is on the log when audit starts,
so for as long as the test looks, the instance is behind by all of it; the S-th event then lets it apply
everything, and only that makes it caught up."""
from __future__ import annotations

import asyncio
from itertools import islice
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.bus.port import Bus

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually

STRETCH = 1500


def settings_for(bus_kind: str, tmp_path: Path, unique: str, request: Any) -> AuditSettings:
    where: dict[str, Any] = ({"bus": "kafka", "kafka_bootstrap_servers": request.getfixturevalue("kafka_bootstrap")}
                             if bus_kind == "kafka" else
                             {"bus": "embedded", "embedded_log_path": str(tmp_path / "log.sqlite3")})
    return AuditSettings(**where, topic=f"health.{unique}", dead_letter_topic=f"health.{unique}.dlq",
                         consumer_group_prefix=f"h{unique}", database_url=f"sqlite:///{tmp_path}/audit.sqlite3",
                         staff=STAFF, stretch_events=STRETCH, linger_seconds=600)


def test_caught_up_only_once_every_event_on_the_log_is_applied(bus_kind: str, tmp_path: Path, unique: str,
                                                                request: Any) -> None:
    settings = settings_for(bus_kind, tmp_path, unique, request)
    bus: Bus = (KafkaBus(settings.kafka_bootstrap_servers, client_id="jiesu-tests", partitions=3)
                if bus_kind == "kafka" else EmbeddedBus(tmp_path / "log.sqlite3"))
    events = list(islice(generate(cases=200, seed=3), STRETCH))
    assert len(events) == STRETCH
    asyncio.run(publish_to_bus(events[:-1], bus, settings.topic))  # the backlog: one short of a stretch
    seen: list[dict[str, Any]] = []
    with TestClient(build_app(settings), headers=as_role("coordinator")) as client:
        def health() -> dict[str, Any]:
            seen.append(answer := client.get("/health").json())
            return answer

        behind = eventually(lambda: (h := health())["records_behind"] == STRETCH - 1 and h, timeout=120,
                            what="the instance to see the whole backlog")
        assert not behind["caught_up"] and behind["events_applied"] == 0
        assert not any(h["caught_up"] for h in seen), seen[-1]
        looked = len(seen)

        asyncio.run(publish_to_bus(events[-1:], bus, settings.topic))  # the stretch is full: all of it applied
        caught_up = eventually(lambda: (h := health())["caught_up"] and h, timeout=120,
                               what="caught_up once the stretch was applied")
    assert caught_up["events_applied"] == STRETCH and caught_up["records_behind"] == 0
    assert all(h["events_applied"] == STRETCH for h in seen[looked:] if h["caught_up"])
    assert caught_up["last_reached_end_of_log"] is not None
