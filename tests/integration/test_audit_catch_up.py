"""A fresh audit on the embedded log catches up by reading the log file as a replay does, dead-letters
what is not a valid event on the way, and then its subscription goes on from the end (SQLite and
PostgreSQL)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.events import encode_envelope
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.domain.audit_known_log import AS_OF, C1, known_log
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually

EVENTS = known_log()


def on_the_log(events, topic: str, poison: bool) -> list[OutgoingRecord]:  # type: ignore[no-untyped-def]
    records = []
    for n, envelope in enumerate(events):
        key, headers, value = encode_envelope(envelope)
        records.append(OutgoingRecord(topic, key, value, tuple(headers)))
        if poison and n == 3:
            records.append(OutgoingRecord(topic, key, b"[1, 2]", tuple(headers)))  # data not an object
        if poison and n == 7:  # a task.accepted without its task
            bad = value.replace(b'"task_id"', b'"no_task_id"') if b'"task_id"' in value else b'{"case_id": 1}'
            records.append(OutgoingRecord(topic, key, bad, tuple(headers)))
    return records


def test_a_fresh_audit_catches_up_from_the_file_then_follows_the_log(database: Database, tmp_path: Path,
                                                                     unique: str) -> None:
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"c.{unique}",
                             dead_letter_topic=f"c.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF, stretch_events=8)
    bus = EmbeddedBus(tmp_path / "log.sqlite3")
    first, later = EVENTS[:40], EVENTS[40:]
    asyncio.run(publish(bus, on_the_log(first, settings.topic, poison=True)))
    with TestClient(build_app(settings, clock=lambda: AS_OF), headers=as_role("coordinator")) as client:
        def applied(count: int):  # type: ignore[no-untyped-def]
            return lambda: (h := client.get("/health").json())["caught_up"] and h["events_applied"] == count and h
        health = eventually(applied(len(first)), timeout=60, what="the catch-up from the file")
        assert health["dead_lettered"] == 2
        asyncio.run(publish(bus, on_the_log(later, settings.topic, poison=False)))
        eventually(applied(len(EVENTS)), timeout=60, what="the events appended after the catch-up")
        timeline = client.get(f"/cases/{C1}/timeline").json()
    assert [e["event_id"] for e in timeline["events"]] == [e.id for e in EVENTS if e.subject == C1]
    dead = asyncio.run(dead_letters(bus, settings.dead_letter_topic))
    assert [r.value[:6] for r in dead][0] == b"[1, 2]" and len(dead) == 2
    assert {dict(r.headers)["dlq_reason"].split(b":")[0] for r in dead} == {b"undecodable", b"invalid payload"}


async def dead_letters(bus: EmbeddedBus, topic: str) -> list:
    sub = await open_subscription(bus, "reader", topic)
    try:
        return await collect(sub, 2, timeout=20) + await sub.poll(timeout=0.5)
    finally:
        await sub.stop()
