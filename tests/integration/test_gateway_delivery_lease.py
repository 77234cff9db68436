"""The delivery lease, renewed while an attempt is in flight: a crashed instance's in-flight webhook is
sent again by another instance within 15 s, and a live instance's slow attempt is never sent twice."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from jiesu_gateway.bootstrap import build_app
from jiesu_gateway.delivery import LEASE
from tests.integration.gateway_harness import offer
from tests.integration.test_gateway_webhook_delivery import Harness
from tests.support.waiting import eventually


def now() -> datetime:
    return datetime.now(UTC)


def calls(h: Harness) -> int:
    return len([r for r in h.receiver.received if r.department == "housing"])


@contextmanager
def two_instances_with_a_call_in_flight(tmp_path: Path) -> Iterator[tuple[Harness, TestClient]]:
    """Two gateway instances, housing's endpoint hanging on the first call: (harness, the instance sending)."""
    h = Harness(tmp_path, webhook_timeout_seconds=60)
    h.clock = h.receiver.clock = now  # type: ignore[assignment]
    h.receiver.hanging.add("housing")
    h.receiver.up()
    try:
        with TestClient(build_app(h.settings, clock=now)) as first, TestClient(build_app(h.settings, clock=now)):
            h.register(first, "housing")
            h.log.publish("case-1", offer("housing", case_id="case-1"))
            eventually(lambda: calls(h) == 1, what="the first call, in flight")
            yield h, first
    finally:
        h.receiver.down()


def test_a_crashed_instances_in_flight_webhook_is_sent_again_within_15_seconds(tmp_path: Path) -> None:
    with two_instances_with_a_call_in_flight(tmp_path) as (h, first):
        # The first instance dies mid-call: it renews nothing and records nothing any more.
        first.app.state.service.delivery._held.clear()  # type: ignore[attr-defined]
        died = time.monotonic()
        h.receiver.hanging.discard("housing")
        eventually(lambda: calls(h) == 2, timeout=20, what="the call made again by the other instance")
        resent_after = time.monotonic() - died
        (delivery,) = eventually(lambda: [d for d in h.deliveries(first, "housing") if d.status == "delivered"],
                                 what="the delivery recorded")
        print(f"in-flight webhook resent {resent_after:.1f}s after its sender died")
        assert resent_after < 15 and delivery.attempts == 1
        h.receiver.released.set()


def test_a_live_instances_slow_attempt_is_never_sent_twice(tmp_path: Path) -> None:
    with two_instances_with_a_call_in_flight(tmp_path) as (h, first):
        started = time.monotonic()
        # well past one lease: the sender renews it, so the other instance keeps its hands off
        eventually(lambda: time.monotonic() - started > LEASE.total_seconds() * 1.5, timeout=30,
                   interval=0.5, what="one and a half leases")
        assert calls(h) == 1
        h.receiver.released.set()
        eventually(lambda: [d for d in h.deliveries(first, "housing") if d.status == "delivered"],
                   what="the slow attempt recorded")
        assert calls(h) == 1


@contextmanager
def database_away(url: str, seconds: float) -> Iterator[None]:
    """The database refuses connections and every session in it ends, for a while (as in a restart)."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": name})
            gone_until = time.monotonic() + seconds
            yield
            # the refusal lasts its whole time: waiting here is the outage itself, not a wait for a condition
            while time.monotonic() < gone_until:
                time.sleep(0.1)
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()


def test_the_delivery_worker_outlives_a_database_outage(tmp_path: Path, postgres_database_url: str) -> None:
    """Every connection the gateway holds is ended (as a PostgreSQL restart would): webhooks keep going out
    once the database answers, and the service keeps running rather than stopping with its worker."""
    h = Harness(tmp_path, database_url=postgres_database_url)
    h.receiver.up()
    try:
        with TestClient(build_app(h.settings)) as client:
            h.register(client, "housing")
            h.log.publish("case-1", offer("housing", case_id="case-1"))
            eventually(lambda: calls(h) == 1, what="the first webhook")
            with database_away(postgres_database_url, seconds=3):
                h.log.publish("case-2", offer("housing", case_id="case-2"))  # read while the database is away
            eventually(lambda: calls(h) == 2, timeout=30, what="the webhook after the outage")
            assert client.get("/health").status_code == 200
    finally:
        h.receiver.down()
