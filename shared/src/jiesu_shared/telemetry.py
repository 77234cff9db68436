"""OpenTelemetry tracing: one trace follows a case from intake's HTTP request, through the log
(W3C `traceparent` carried in each event), to the gateway's webhook call."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


class JsonLinesSpanExporter(SpanExporter):
    """Writes finished spans as JSON lines: lets a test or a person follow a trace across processes
    without running a collector."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            lines.append(orjson.dumps({  # orjson: the stdlib's encoder was a few % of each service's CPU
                "service": span.resource.attributes.get("service.name"),
                "name": span.name,
                "trace_id": format(ctx.trace_id, "032x"),
                "span_id": format(ctx.span_id, "016x"),
                "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
                "kind": span.kind.name,
                "start_ns": span.start_time, "end_ns": span.end_time,  # epoch ns: hop timings across processes
                "attributes": dict(span.attributes or {}),
            }, default=str))
        with self._lock, self._path.open("ab") as out:
            out.write(b"\n".join(lines) + b"\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def setup_tracing(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    trace_file: str | Path | None = None,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """Install a tracer provider for this process; each configured exporter receives every span."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    if trace_file:
        # Batched off the request path: one write per span on the event loop cost intake ~10 % of its time.
        provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(trace_file), schedule_delay_millis=200))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> otel_context.Context:
    return _propagator.extract({"traceparent": traceparent} if traceparent else {})


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    _propagator.inject(headers)
    return headers
