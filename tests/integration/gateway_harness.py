"""Helpers for the agency-gateway's integration tests: the gateway on a real (embedded) log and its own
SQLite, offers published the way dispatch publishes them, and a clock the test moves."""
from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.catalogue import type_name_of
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.dispatch import TaskOffered
from jiesu_shared.events import Envelope, encode_envelope, new_event_id
from jiesu_shared.store.tables import StoredEvent

from jiesu_gateway.config import GatewaySettings

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self.now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Log:
    """The embedded log the gateway reads and writes: the test plays dispatch on it."""

    path: Path
    topic: str
    sequence: dict[str, int] = field(default_factory=dict)

    def publish(self, subject: str, *payloads: Any) -> list[Envelope]:
        envelopes = []
        for payload in payloads:
            self.sequence[subject] = self.sequence.get(subject, 0) + 1
            event_id = new_event_id()
            envelopes.append(Envelope(id=event_id, source="/jiesu/dispatch", type=type_name_of(payload),
                                      subject=subject, time=datetime.now(UTC), sequence=self.sequence[subject],
                                      correlationid=event_id, data=payload.model_dump(mode="json")))
        asyncio.run(self._publish(envelopes))
        return envelopes

    async def _publish(self, envelopes: list[Envelope]) -> None:
        publisher = EmbeddedBus(self.path).publisher()
        await publisher.start()
        try:
            records = []
            for envelope in envelopes:
                key, headers, value = encode_envelope(envelope)
                records.append(OutgoingRecord(self.topic, key, value, tuple(headers)))
            await publisher.publish(records)
        finally:
            await publisher.stop()


def gateway_settings(tmp_path: Path, **overrides: Any) -> GatewaySettings:
    unique = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "embedded_log_path": str(tmp_path / "log.sqlite3"), "database_url": f"sqlite:///{tmp_path}/gateway.sqlite3",
        "topic": f"cases.{unique}", "dead_letter_topic": f"cases.{unique}.dlq", "consumer_group_prefix": unique,
        "admin_token": secrets.token_urlsafe(16), "allow_private_webhook_targets": True, **overrides}
    return GatewaySettings(**values)


def offer(department_id: str, *, case_id: str | None = None, task_id: str | None = None, kind: str = "case",
          role: str = "lead") -> TaskOffered:
    return TaskOffered(task_id=task_id or f"task-{uuid.uuid4().hex[:10]}", case_id=case_id or str(uuid.uuid4()),
                       department_id=department_id, role=role, category="property_management",  # type: ignore[arg-type]
                       summary="楼道灯坏了 stairwell light broken",
                       place=Place(district="Dongcheng", street="Jingshan"),
                       decide_by=T0 + timedelta(hours=2), respond_by=T0 + timedelta(hours=24),
                       resolve_by=T0 + timedelta(days=7), kind=kind,  # type: ignore[arg-type]
                       whistle_id="whistle-1" if kind == "whistle_report_in" else None)


def register(client: TestClient, admin_token: str, department_id: str, webhook_url: str | None = None,
             **extra: Any) -> dict[str, Any]:
    response = client.post("/admin/departments", headers=bearer(admin_token),
                           json={"department_id": department_id, "name": department_id.title(),
                                 "webhook_url": webhook_url, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def stored_events(client: TestClient) -> list[tuple[str, dict]]:
    """(type, data) of every event the gateway appended, in order: what reaches the log via the outbox."""
    with client.app.state.kernel.database.transaction() as session:  # type: ignore[attr-defined]
        rows = session.exec(select(StoredEvent).order_by(col(StoredEvent.position))).all()
    return [(r.type, Envelope.model_validate_json(r.envelope).data) for r in rows]
