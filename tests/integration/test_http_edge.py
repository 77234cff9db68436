"""The edge every service's routes sit behind (jiesu_shared/http/edge.py), in-process: each request gets one
server span continuing the caller's trace, the span's context comes back as `traceparent`, the latency
histogram counts it by route and status class, and a body over the limit sent without a declared length is
refused 413 problem+json by the same layer, with the same span, header and count."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.support.staff import STAFF, as_role

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
HISTOGRAM = "jiesu_http_request_duration_seconds_count"


def _served(client: TestClient, status: str) -> float:
    registry = client.app.state.kernel.metrics.registry  # type: ignore[attr-defined]
    return registry.get_sample_value(HISTOGRAM, {"method": "POST", "route": "/cases", "status": status}) or 0.0


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"text": "'
    for _ in range(total // 4096):
        yield b"a" * 4096
    yield b'"}'


def test_one_span_one_count_and_the_traceparent_for_an_answer_and_for_a_refusal(
        tmp_path: Path, spans: InMemorySpanExporter) -> None:
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases", staff=STAFF,
                              database_url=f"sqlite:///{tmp_path}/intake.sqlite3", max_body_bytes=16 * 1024)
    with TestClient(build_app(settings), headers=as_role("intake")) as client:
        created = client.post("/cases", headers={"traceparent": CALLER}, json={
            "text": "路灯不亮 street lamp out", "place": {"district": "Haidian", "street": "Xueyuanlu"}})
        refused = client.post("/cases", headers={"traceparent": CALLER, "content-type": "application/json"},
                              content=_chunks(64 * 1024))
        assert (_served(client, "2xx"), _served(client, "4xx")) == (1.0, 1.0)
    assert created.status_code == 201
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/payload-too-large")
    server_spans = [s for s in spans.get_finished_spans() if s.name == "POST /cases"]
    assert [s.attributes["http.response.status_code"] for s in server_spans] == [201, 413]
    for span, response in zip(server_spans, (created, refused), strict=True):
        assert format(span.context.trace_id, "032x") == CALLER.split("-")[1]
        assert format(span.parent.span_id, "016x") == CALLER.split("-")[2]
        assert span.attributes["http.route"] == "/cases" and span.attributes["url.path"] == "/cases"
        assert response.headers["traceparent"] == f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"
