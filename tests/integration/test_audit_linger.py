"""Audit's live tail under a steady trickle (real log, real database): events arriving one by one are gathered
for at most the linger and applied together, each still shows on its case's timeline, and a clean stop leaves
the audit's consumer group at the log's end (its offsets are committed in the background), so a restart
redelivers nothing."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.port import Bus, OutgoingRecord
from jiesu_shared.events import encode_envelope

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.domain.audit_known_log import AS_OF, C1, known_log
from tests.integration.test_audit_live import settings  # noqa: F401  (the fixture: this bus, this database)
from tests.support.staff import as_role
from tests.support.waiting import eventually

TRICKLE = [e for e in known_log() if e.subject == C1]


async def trickle(bus: Bus, topic: str, gap_seconds: float) -> None:
    """C1's events one publish each, a little apart: a steady trickle, not one batch."""
    await bus.ensure_topics([topic, topic + ".dlq"])
    for envelope in TRICKLE:
        key, headers, value = encode_envelope(envelope)
        await publish(bus, [OutgoingRecord(topic, key, value, tuple(headers))])
        await asyncio.sleep(gap_seconds)  # paces the trickle; nothing waits on a condition here


def shown(client: TestClient) -> list[str]:
    return [e["event_id"] for e in client.get(f"/cases/{C1}/timeline").json().get("events", [])]


def test_a_trickle_is_shown_and_a_stop_leaves_the_group_at_the_end(settings: AuditSettings, bus: Bus,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    settings = settings.model_copy(update={"linger_seconds": 0.3})
    with TestClient(build_app(settings, clock=lambda: AS_OF), headers=as_role("coordinator")) as client:
        asyncio.run(trickle(bus, settings.topic, gap_seconds=0.05))
        eventually(lambda: shown(client) == [e.id for e in TRICKLE], timeout=60, what="the trickle on the timeline")

    asyncio.run(_nothing_redelivered_then_a_new_record(bus, settings))


async def _nothing_redelivered_then_a_new_record(bus: Bus, settings: AuditSettings) -> None:
    """The audit's own group, after the stop: nothing of the trickle comes again; a record published now
    does (so the empty answer is the group's position, not a subscription that was not reading yet)."""
    group = settings.group("audit.readmodel")
    subscription = await open_subscription(bus, group, settings.topic)
    try:
        await publish(bus, [OutgoingRecord(settings.topic, b"after", b"after the stop", ())])
        got = await collect(subscription, 1, timeout=30)
        got += await subscription.poll(timeout=0.5)
    finally:
        await subscription.stop()
    assert [r.value for r in got] == [b"after the stop"]
