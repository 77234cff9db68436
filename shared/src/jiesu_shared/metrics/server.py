"""prometheus_client's own HTTP server for a registry, on JIESU_METRICS_PORT, for as long as the app runs."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, start_http_server

from jiesu_shared.metrics.http import LatencyMiddleware, request_histogram
from jiesu_shared.metrics.settings import MetricsSettings

log = logging.getLogger(__name__)


@asynccontextmanager
async def metrics_server(registry: CollectorRegistry, settings: MetricsSettings, default_host: str) -> AsyncIterator[None]:
    if settings.metrics_port is None:
        yield
        return
    host = settings.metrics_host or default_host
    server, _thread = start_http_server(settings.metrics_port, host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, settings.metrics_port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def install_http_metrics(app: FastAPI, host: str) -> CollectorRegistry:
    """For an app without the service kernel (the console): its HTTP latency on its own /metrics."""
    registry, settings = CollectorRegistry(), MetricsSettings()
    app.add_middleware(LatencyMiddleware, histogram=request_histogram(registry))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with metrics_server(registry, settings, host), inner(application) as state:
            yield state

    app.router.lifespan_context = lifespan
    return registry
