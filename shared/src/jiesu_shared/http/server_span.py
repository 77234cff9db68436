"""The server span of an HTTP request, continuing the caller's trace (W3C `traceparent`), named and
attributed as OpenTelemetry's HTTP conventions ask (`POST /cases`, method, route, status), current while
the route runs so that what it appends to the log carries the trace on.

FastAPI's native telemetry did this as one more ASGI layer with its own `send` wrapper, a request object,
metrics and exception logging we do not use; the edge (edge.py) does it here for a fraction of the CPU."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode
from starlette.types import Scope

_tracer = trace.get_tracer("jiesu.http")  # a proxy: follows the provider set later (serve, tests)
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
# https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server-span: never record these values
_SENSITIVE_QUERY = frozenset({"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig",
                              "X-Goog-Signature"})


def start(scope: Scope) -> tuple[Span, object]:
    """The request's span, made current; hand both back to `finish`."""
    carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
               if name in _TRACE_HEADERS}
    parent = propagate.extract(carrier) if carrier else otel_context.get_current()
    method = scope["method"]
    attributes: dict[str, Any] = {"http.request.method": method, "url.scheme": scope.get("scheme", "http"),
                                  "url.path": scope["path"]}
    if scope.get("http_version"):
        attributes["network.protocol.version"] = scope["http_version"]
    if scope.get("server"):
        attributes["server.address"], attributes["server.port"] = scope["server"]
    if scope.get("query_string"):
        attributes["url.query"] = _redacted(scope["query_string"])
    span = _tracer.start_span(method, context=parent, kind=SpanKind.SERVER, attributes=attributes)
    return span, otel_context.attach(trace.set_span_in_context(span, parent))


def finish(span: Span, token: object, method: str, route: str | None, status: int,
           error: BaseException | None) -> None:
    otel_context.detach(token)  # type: ignore[arg-type]
    if route is not None:
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if error is not None or status >= 500:
        span.set_attribute("error.type", _error_type(error) if error is not None else str(status))
        span.set_status(StatusCode.ERROR)
    span.end()


def traceparent(span: Span) -> bytes | None:
    """The span's context as a `traceparent` header value (what TraceContextTextMapPropagator writes)."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}".encode()


def _redacted(query_string: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode([(key, "REDACTED" if key in _SENSITIVE_QUERY else value) for key, value in pairs])


def _error_type(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
