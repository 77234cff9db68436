"""Fixtures for every layer: the real broker and database, buses and stores per adapter, and tracing."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.bus.port import Bus
from jiesu_shared.store import Database
from jiesu_shared.telemetry import setup_tracing
from tests.support import keycloak, servers
from tests.support.scratch_databases import create_postgres_database, drop_postgres_database

_SPANS = InMemorySpanExporter()
setup_tracing("jiesu-tests", exporter=_SPANS)  # once per process: OpenTelemetry allows one provider


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _SPANS.clear()
    yield _SPANS


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    address, started = servers.kafka_bootstrap_servers()
    yield address
    if started:
        servers.stop_kafka()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    url, started = servers.postgres_url()
    yield url
    if started:
        servers.stop_postgres()


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    """The issuer URL of a real OIDC provider with the test realm; Keycloak starts only if a test asks."""
    issuer, started = keycloak.oidc_issuer()
    yield issuer
    if started:
        keycloak.stop_keycloak()


@pytest.fixture
def unique() -> str:
    """A fresh suffix for topic, group and schema names, so tests never see each other's data."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(params=["embedded", "kafka"])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def bus(bus_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Bus:
    if bus_kind == "kafka":
        return KafkaBus(request.getfixturevalue("kafka_bootstrap"), client_id="jiesu-tests", partitions=3)
    return EmbeddedBus(tmp_path / "log.sqlite3")


@pytest.fixture
def postgres_database_url(request: pytest.FixtureRequest, unique: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of this test's own, dropped afterwards."""
    base_url = request.getfixturevalue("postgres_server_url")
    name = f"t_{unique}"
    yield create_postgres_database(base_url, name)
    drop_postgres_database(base_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = (f"sqlite:///{tmp_path}/service.sqlite3" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database_url"))
    db = Database(url)
    db.create_schema()
    yield db
    db.dispose()


@pytest.fixture
async def topic(bus: Bus, unique: str) -> AsyncIterator[str]:
    name = f"test.events.{unique}"
    await bus.ensure_topics([name, name + ".dlq"])
    yield name
