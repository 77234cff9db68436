"""The webhook path on SQLite and on PostgreSQL alike: offers become tasks and signed webhooks, in order per
case, each acknowledged one recorded with its attempt and answered with `task.notified` on the log; an offer
repeating a task's id is dead-lettered, and the task and its one webhook stay as they were."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.catalogue.dispatch import TaskOffered

from jiesu_gateway.bootstrap import build_app
from tests.contract.test_bus_contract import collect, open_subscription
from tests.integration.gateway_harness import offer
from tests.integration.test_gateway_webhook_delivery import Harness
from tests.support.waiting import eventually


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    database = {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("postgres_database_url")}
    h = Harness(tmp_path, **database)
    h.clock = h.receiver.clock = now  # type: ignore[assignment]
    h.receiver.up()
    yield h
    h.receiver.down()


def test_offers_are_delivered_in_order_and_answered_with_task_notified(harness: Harness) -> None:
    h = harness
    with TestClient(build_app(h.settings, clock=now)) as client:
        h.register(client, "housing")
        first_case = [offer("housing", case_id="case-1") for _ in range(3)]
        published = h.log.publish("case-1", *first_case) + h.log.publish("case-2", offer("housing", case_id="case-2"))
        eventually(lambda: [d.status for d in h.deliveries(client, "housing")] == 4 * ["delivered"],
                   what="four webhooks acknowledged")
        received = [r for r in h.receiver.received if r.department == "housing"]
        assert all(r.verified for r in received) and len(received) == 4
        assert [r.headers["webhook-id"] for r in received if r.message["data"]["case_id"] == "case-1"] == \
            [e.id for e in published[:3]]
        for delivery in h.deliveries(client, "housing"):
            assert delivery.attempts == 1
            assert [a.outcome for a in h.attempts(client, delivery.id)] == ["ok"]
        notified = h.log_events(4)
        assert sorted(data["webhook_id"] for kind, data in notified if kind == "task.notified.v1") == \
            sorted(e.id for e in published)


def test_an_offer_repeating_a_task_id_is_dead_lettered_and_changes_nothing(harness: Harness) -> None:
    h = harness
    with TestClient(build_app(h.settings, clock=now)) as client:
        h.register(client, "housing")
        first = offer("housing", case_id="case-1")
        h.log.publish("case-1", first)
        eventually(lambda: [d for d in h.deliveries(client, "housing") if d.status == "delivered"],
                   what="the first offer's webhook acknowledged")
        repeat = TaskOffered(**{**first.model_dump(), "summary": "a different summary"})
        (repeated,) = h.log.publish("case-1", repeat)
        (reason,) = eventually(lambda: _dead_letters(h).get(repeated.id), what="the repeated offer dead-lettered")
        assert "offered before" in reason
        assert len(h.deliveries(client, "housing")) == 1
        assert len([r for r in h.receiver.received if r.department == "housing"]) == 1


def _dead_letters(h: Harness) -> dict[str, list[str]]:
    """The reasons given for the events on the gateway's dead-letter topic, by event id."""
    async def read() -> list:
        sub = await open_subscription(EmbeddedBus(h.settings.embedded_log_path), "reader", h.settings.dead_letter_topic)
        try:
            return await collect(sub, 1, timeout=1.0)
        finally:
            await sub.stop()
    letters: dict[str, list[str]] = {}
    for record in asyncio.run(read()):
        headers = {name: value.decode() for name, value in record.headers}
        letters.setdefault(headers["ce_id"], []).append(headers["dlq_reason"])
    return letters
