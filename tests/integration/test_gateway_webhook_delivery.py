"""Webhook delivery against real HTTP receivers that are down, failing or gone, with a clock the test
moves: nothing lost, retries on schedule, delivery resumed in order per case, exhaustion on the log."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.events import decode_record

from deploy.local_stack import free_port
from jiesu_gateway.adapters.tables import Delivery, DeliveryAttempt
from jiesu_gateway.bootstrap import build_app
from jiesu_gateway.config import DEFAULT_RETRY_SCHEDULE
from tests.contract.test_bus_contract import collect, open_subscription
from tests.integration.gateway_harness import FakeClock, Log, bearer, gateway_settings, offer, register
from tests.integration.gateway_spec_receiver import SpecReceiver, spec_verify
from tests.support.waiting import eventually


class Harness:
    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.settings = gateway_settings(tmp_path, **settings)
        self.clock = FakeClock()
        self.receiver = SpecReceiver(port=free_port(), clock=self.clock)
        self.log = Log(Path(self.settings.embedded_log_path), self.settings.topic)
        self.admin = self.settings.admin_token.get_secret_value()  # type: ignore[union-attr]

    def register(self, client: TestClient, department: str, **extra: Any) -> dict:
        registered = register(client, self.admin, department, self.receiver.url(department), **extra)
        self.receiver.secrets[department] = [registered["webhook_secret"]]
        return registered

    def deliveries(self, client: TestClient, department: str) -> list[Delivery]:
        with client.app.state.kernel.database.transaction() as s:  # type: ignore[attr-defined]
            return list(s.exec(select(Delivery).where(Delivery.department_id == department)
                               .order_by(col(Delivery.id))).all())

    def attempts(self, client: TestClient, delivery_id: int | None) -> list[DeliveryAttempt]:
        with client.app.state.kernel.database.transaction() as s:  # type: ignore[attr-defined]
            return list(s.exec(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                               .order_by(col(DeliveryAttempt.number))).all())

    def log_events(self, expected: int) -> list[tuple[str, dict]]:
        """(type, data) of the gateway's own events on the log, once `expected` of them are there."""
        async def read() -> list:
            sub = await open_subscription(EmbeddedBus(self.settings.embedded_log_path), "reader", self.settings.topic)
            try:
                return await collect(sub, expected, timeout=1.0)
            finally:
                await sub.stop()

        def probe() -> list | None:
            envelopes = [decode_record(r.headers, r.value) for r in asyncio.run(read())]
            mine = [(e.type, e.data) for e in envelopes if e.source == "/jiesu/gateway"]
            return mine if len(mine) >= expected else None

        return eventually(probe, timeout=20, what=f"{expected} gateway events on the log")


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.receiver.down()


def _at(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_receiver_down_for_a_while_loses_nothing_and_gets_everything_in_order(harness: Harness) -> None:
    schedule = DEFAULT_RETRY_SCHEDULE
    with TestClient(build_app(harness.settings, clock=harness.clock)) as client:
        housing_key = harness.register(client, "housing")["api_key"]
        other_key = register(client, harness.admin, "other")["api_key"]
        case_a, case_b = "case-a", "case-b"
        offers_a = [offer("housing", case_id=case_a) for _ in range(3)]
        offer_b = offer("housing", case_id=case_b)
        envelopes = harness.log.publish(case_a, *offers_a) + harness.log.publish(case_b, offer_b)
        ids = {e.data["task_id"]: e.id for e in envelopes}

        def by_task() -> dict[str, Delivery]:
            return {d.task_id: d for d in harness.deliveries(client, "housing")}

        # The receiver is down: the first offer of each case is tried at once; the others wait behind it.
        eventually(lambda: len(by_task()) == 4 and by_task()[offers_a[0].task_id].attempts == 1
                   and by_task()[offer_b.task_id].attempts == 1, what="first attempts")
        assert [by_task()[o.task_id].attempts for o in offers_a[1:]] == [0, 0]

        heads = [offers_a[0].task_id, offer_b.task_id]
        for retry in range(1, 4):  # 5 s, 5 min, 30 min later: still down
            for task_id in sorted(heads, key=lambda t: _at(by_task()[t].next_attempt_at)):
                harness.clock.set(by_task()[task_id].next_attempt_at)
                eventually(lambda t=task_id, n=retry + 1: by_task()[t].attempts == n, what=f"retry {retry}")
        for task_id in heads:
            tried = harness.attempts(client, by_task()[task_id].id)
            gaps = [(_at(b.attempted_at) - _at(a.attempted_at)).total_seconds() for a, b in zip(tried, tried[1:])]
            for gap, planned in zip(gaps, schedule[1:]):
                assert planned <= gap <= planned * 1.1 + 0.001, (gaps, schedule)  # on schedule, with jitter
            assert all("ConnectError" in a.outcome for a in tried)
        assert [by_task()[o.task_id].attempts for o in offers_a[1:]] == [0, 0]
        assert not harness.receiver.received

        # Back up: the next scheduled retry delivers, and the waiting offers follow in order.
        harness.receiver.up()
        harness.clock.set(max(_at(by_task()[t].next_attempt_at) for t in heads))
        eventually(lambda: all(d.status == "delivered" for d in by_task().values()), what="all delivered")
        assert harness.receiver.ids("housing") in (
            [ids[o.task_id] for o in offers_a] + [ids[offer_b.task_id]],
            [ids[offer_b.task_id]] + [ids[o.task_id] for o in offers_a],
            [ids[offers_a[0].task_id], ids[offer_b.task_id]] + [ids[o.task_id] for o in offers_a[1:]])
        case_a_order = [r.message["data"]["task_id"] for r in harness.receiver.received if r.message["data"]["case_id"] == case_a]
        assert case_a_order == [o.task_id for o in offers_a]
        assert all(r.verified and r.message["type"] == "task.offered" for r in harness.receiver.received)

        notified = harness.log_events(4)
        assert sorted((d["task_id"], d["attempts"]) for t, d in notified if t == "task.notified.v1") == sorted(
            [(offers_a[0].task_id, 5), (offers_a[1].task_id, 1), (offers_a[2].task_id, 1), (offer_b.task_id, 5)])
        assert not [t for t, _ in notified if t != "task.notified.v1"]

        # Every attempt is on record, for the department (its own only) and for operators.
        mine = client.get("/deliveries", headers=bearer(housing_key)).json()["deliveries"]
        first = next(d for d in mine if d["task_id"] == offers_a[0].task_id)
        assert [a["outcome"][:12] for a in first["attempts"]] == ["ConnectError"] * 4 + ["ok"]
        assert client.get("/admin/departments/housing/deliveries", headers=bearer(harness.admin)).json()[
            "deliveries"] == mine
        assert client.get("/deliveries", headers=bearer(other_key)).json() == {"deliveries": []}


def test_exhaustion_retry_after_gone_and_redirects(harness: Harness, tmp_path: Path) -> None:
    h = Harness(tmp_path / "short", retry_schedule_seconds=[0, 5, 300])
    h.receiver.up()
    h.receiver.answers = {"failing": (503, {"Retry-After": "600"}), "moved": (307, {"Location": h.receiver.url("x")}),
                          "gone": (410, {})}
    try:
        with TestClient(build_app(h.settings, clock=h.clock)) as client:
            for department in ("failing", "moved", "gone"):
                h.register(client, department)
                h.log.publish(f"case-{department}", offer(department, case_id=f"case-{department}"))
            eventually(lambda: h.deliveries(client, "gone") and h.deliveries(client, "gone")[0].status == "failed",
                       what="410 gives up at once")
            gone = client.get("/admin/departments/gone", headers=bearer(h.admin)).json()
            assert gone["webhook_enabled"] is False  # until an administrator sets the URL again

            (failing,) = eventually(lambda: [d for d in h.deliveries(client, "failing") if d.attempts == 1],
                                    what="first failing attempt")
            assert _at(failing.next_attempt_at) >= h.clock.now + timedelta(seconds=600)  # Retry-After beats 5 s
            for _ in range(10):  # move the clock to each next retry until both have given up
                left = [d for dep in ("failing", "moved") for d in h.deliveries(client, dep) if d.status == "pending"]
                if not left:
                    break
                due = min(left, key=lambda d: _at(d.next_attempt_at))
                h.clock.set(max(h.clock.now, _at(due.next_attempt_at)))
                eventually(lambda d=due: h.deliveries(client, d.department_id)[0].attempts > d.attempts,
                           what=f"next attempt to {due.department_id}")
            assert [d.status for d in h.deliveries(client, "failing") + h.deliveries(client, "moved")] == \
                ["failed", "failed"]
            failures = [d for t, d in h.log_events(3) if t == "task.notification_failed.v1"]
            assert {(d["department_id"], d["attempts"], d["last_error"]) for d in failures} == {
                ("failing", 3, "HTTP 503"), ("moved", 3, "HTTP 307"), ("gone", 1, "HTTP 410 Gone: endpoint disabled")}
            assert not [r for r in h.receiver.received if r.department == "x"]  # the redirect was not followed
            assert len([r for r in h.receiver.received if r.department == "failing"]) == 3
    finally:
        h.receiver.down()


def test_an_endpoint_that_does_not_answer_in_time_is_retried_later(tmp_path: Path) -> None:
    h = Harness(tmp_path, webhook_timeout_seconds=0.3)
    h.receiver.up()
    h.receiver.hanging.add("housing")
    try:
        with TestClient(build_app(h.settings, clock=h.clock)) as client:
            h.register(client, "housing")
            h.log.publish("case-1", offer("housing", case_id="case-1"))
            (late,) = eventually(lambda: [d for d in h.deliveries(client, "housing") if d.attempts == 1],
                                 what="the first attempt to time out")
            assert late.status == "pending" and "Timeout" in (late.last_error or "")
            assert _at(late.next_attempt_at) >= h.clock.now + timedelta(seconds=DEFAULT_RETRY_SCHEDULE[1])
    finally:
        h.receiver.down()


def test_a_stuck_endpoint_holds_up_nobody_else(tmp_path: Path) -> None:
    h = Harness(tmp_path, webhook_timeout_seconds=20)
    h.receiver.up()
    h.receiver.hanging.add("housing")
    try:
        with TestClient(build_app(h.settings, clock=h.clock)) as client:
            h.register(client, "housing")
            h.register(client, "fire-safety")
            h.log.publish("case-1", offer("housing", case_id="case-1"))
            eventually(lambda: [r for r in h.receiver.received if r.department == "housing"], what="the stuck call")
            h.log.publish("case-2", *(offer("fire-safety", case_id="case-2") for _ in range(3)))
            eventually(lambda: len(h.receiver.ids("fire-safety")) == 3, what="fire-safety's offers")
            # recorded once the worker takes the answer, a moment after the receiver has the request
            eventually(lambda: [d.status for d in h.deliveries(client, "fire-safety")] == ["delivered"] * 3,
                       what="fire-safety's offers recorded as delivered")
            assert [(d.status, d.attempts) for d in h.deliveries(client, "housing")] == [("pending", 0)]  # still stuck
            h.receiver.released.set()
    finally:
        h.receiver.down()


def test_a_name_rebound_to_a_private_address_gets_no_delivery(tmp_path: Path) -> None:
    answers = {"first": True}

    def rebinding(host: str, port: int) -> list[str]:
        if host != "dept.example":
            return ["127.0.0.1"]
        public = answers.pop("first", False)  # public when registering, loopback ever after
        return ["93.184.216.34"] if public else ["127.0.0.1"]

    h = Harness(tmp_path, allow_private_webhook_targets=False, retry_schedule_seconds=[0])
    h.receiver.up()
    try:
        with TestClient(build_app(h.settings, clock=h.clock, resolve=rebinding)) as client:
            refused = client.post("/admin/departments", headers=bearer(h.admin), json={
                "department_id": "direct", "name": "Direct", "webhook_url": h.receiver.url("direct")})
            assert refused.status_code == 422 and refused.json()["type"].endswith("/unsafe-webhook-url")
            registered = register(client, h.admin, "housing", h.receiver.url("housing", host="dept.example"))
            h.receiver.secrets["housing"] = [registered["webhook_secret"]]
            h.log.publish("case-1", offer("housing", case_id="case-1"))
            (failure,) = [d for t, d in h.log_events(1) if t == "task.notification_failed.v1"]
            assert "127.0.0.1" in failure["last_error"] and "non-public" in failure["last_error"]
            assert not h.receiver.received
    finally:
        h.receiver.down()


def test_delivery_connects_to_the_resolved_address_with_the_registered_host_name(harness: Harness) -> None:
    harness.receiver.up()
    pinned = lambda host, port: ["127.0.0.1"] if host == "dept.example" else []  # noqa: E731
    with TestClient(build_app(harness.settings, clock=harness.clock, resolve=pinned)) as client:
        registered = register(client, harness.admin, "housing", harness.receiver.url("housing", host="dept.example"))
        harness.receiver.secrets["housing"] = [registered["webhook_secret"]]
        harness.log.publish("case-1", offer("housing", case_id="case-1"))
        (received,) = eventually(lambda: harness.receiver.received, what="the delivery")
    assert received.verified and received.headers["host"] == f"dept.example:{harness.receiver.port}"


def test_spec_verification_refuses_a_tampered_body_a_stale_timestamp_and_a_wrong_secret(harness: Harness) -> None:
    harness.receiver.up()
    with TestClient(build_app(harness.settings, clock=harness.clock)) as client:
        harness.register(client, "housing")
        harness.log.publish("case-1", offer("housing", case_id="case-1"))
        (received,) = eventually(lambda: harness.receiver.received, what="the delivery")
    secret = harness.receiver.secrets["housing"][0]
    assert received.verified and spec_verify(secret, received.headers, received.raw, harness.clock.now)
    assert not spec_verify(secret, received.headers, received.raw.replace(b"Dongcheng", b"Xicheng"), harness.clock.now)
    assert not spec_verify(secret, received.headers, received.raw, harness.clock.now + timedelta(minutes=6))
    assert not spec_verify(secret, received.headers, received.raw, harness.clock.now - timedelta(minutes=6))
    other = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    assert not spec_verify(other, received.headers, received.raw, harness.clock.now)
