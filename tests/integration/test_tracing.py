"""Tracing in-process, with the in-memory exporter: a caller's trace continues into intake and onto the log."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.events import decode_record

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.contract.test_bus_contract import collect, open_subscription
from tests.support.staff import STAFF, as_role

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"


async def first_record(settings: IntakeSettings):  # type: ignore[no-untyped-def]
    sub = await open_subscription(EmbeddedBus(settings.embedded_log_path), "reader", settings.topic)
    try:
        return (await collect(sub, 1, timeout=10))[0]
    finally:
        await sub.stop()


def test_intake_continues_the_callers_trace_and_puts_it_on_the_event(tmp_path: Path,
                                                                     spans: InMemorySpanExporter) -> None:
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"),
                              database_url=f"sqlite:///{tmp_path}/intake.sqlite3", topic="cases", staff=STAFF)
    with TestClient(build_app(settings), headers=as_role("intake")) as client:
        response = client.post("/cases", headers={"traceparent": f"00-{CALLER_TRACE}-b7ad6b7169203331-01"},
                               json={"text": "路灯不亮 street lamp out",
                                     "place": {"district": "Haidian", "street": "Xueyuanlu"}})
        record = asyncio.run(first_record(settings))
    assert response.status_code == 201
    (server_span,) = [s for s in spans.get_finished_spans() if s.name == "POST /cases"]
    assert format(server_span.context.trace_id, "032x") == CALLER_TRACE
    assert server_span.parent is not None and format(server_span.parent.span_id, "016x") == "b7ad6b7169203331"
    envelope = decode_record(record.headers, record.value)
    assert envelope.traceparent and envelope.traceparent.split("-")[1] == CALLER_TRACE
    assert response.headers["traceparent"].split("-")[1] == CALLER_TRACE
