"""A server span per HTTP request, continuing the caller's trace when it sends `traceparent`."""
from __future__ import annotations

from fastapi import FastAPI, Request
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from jiesu_shared.telemetry import current_traceparent, tracer


def install_tracing_middleware(app: FastAPI, service: str) -> None:
    server_tracer = tracer(f"jiesu.{service}.http")
    propagator = TraceContextTextMapPropagator()

    @app.middleware("http")
    async def _trace_request(request: Request, call_next):  # type: ignore[no-untyped-def]
        parent = propagator.extract(dict(request.headers))
        route = request.scope.get("route")
        with server_tracer.start_as_current_span(
            f"{request.method} {getattr(route, 'path', request.url.path)}", context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": request.method, "url.path": request.url.path},
        ) as span:
            response = await call_next(request)
            span.set_attribute("http.response.status_code", response.status_code)
            traceparent = current_traceparent()
            if traceparent:
                response.headers["traceparent"] = traceparent  # lets a client find its trace
            return response
