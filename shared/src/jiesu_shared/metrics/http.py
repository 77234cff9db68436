"""HTTP latency histograms, by method, route template (never the raw path: ids would explode the series)
and status class."""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# From 2 ms (a cached read) to 10 s (a batch commit waiting on a slow disk).
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def request_histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram("jiesu_http_request_duration_seconds", "HTTP requests served, by route and status class",
                     ["method", "route", "status"], buckets=BUCKETS, registry=registry)


class LatencyMiddleware:
    """A plain ASGI middleware: times each request until its response has been sent. For an app without the
    service kernel (the console); the services' edge (jiesu_shared/http/edge.py) times theirs."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(scope["method"], template, f"{status[0] // 100}xx").observe(
                time.perf_counter() - started)
