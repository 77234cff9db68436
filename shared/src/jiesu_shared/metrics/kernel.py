"""Wiring metrics into a service: one registry per app (several apps may share a test process), the
latency middleware, the dead-letter count, lag and outbox collectors, /ready, and the metrics server."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from jiesu_shared.bus.port import Bus
from jiesu_shared.metrics.dead_letters import CountingBus, dead_letter_counter
from jiesu_shared.http.edge import HttpEdge
from jiesu_shared.metrics.http import request_histogram
from jiesu_shared.metrics.lag import EmbeddedLag, KafkaLag, PartitionLag
from jiesu_shared.metrics.outbox import OutboxCollector
from jiesu_shared.metrics.readiness import install_ready_route
from jiesu_shared.metrics.server import metrics_server
from jiesu_shared.metrics.settings import MetricsSettings
from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.settings import ServiceSettings

if TYPE_CHECKING:
    from jiesu_shared.service import ServiceKernel

log = logging.getLogger(__name__)


class ServiceMetrics:
    def __init__(self, service: str, settings: ServiceSettings) -> None:
        self.service = service
        self.host = settings.host
        self.settings = MetricsSettings()
        self.registry = CollectorRegistry()
        self.dead_letters = dead_letter_counter(self.registry)
        prefix, topics = settings.group(f"{service}."), [settings.topic]
        self.lag = KafkaLag(settings.kafka_bootstrap_servers, prefix, topics) if settings.bus == "kafka" \
            else EmbeddedLag(settings.embedded_log_path, prefix, topics)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.quiet = QuietLog(log, per_second=0.1, burst=1)
        self.registry.register(_LagCollector(self))

    def count_dead_letters(self, bus: Bus, dead_letter_topic: str) -> Bus:
        return CountingBus(bus, dead_letter_topic, self.dead_letters)

    def add_collector(self, collector: object, name: str) -> None:
        """A collector whose failure (e.g. the database away) costs its own series, not the scrape."""
        self.registry.register(_Guarded(collector, name, self.quiet))

    def lag_now(self) -> list[PartitionLag]:
        """From the metrics server's thread: ask the log on the service's loop, with a deadline."""
        if self._loop is None:
            return []
        future = asyncio.run_coroutine_threadsafe(self.lag.measure(), self._loop)
        return future.result(timeout=self.settings.lag_timeout_seconds)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        self._loop = asyncio.get_running_loop()
        try:
            async with metrics_server(self.registry, self.settings, self.host):
                yield
        finally:
            self._loop = None
            await self.lag.close()


def install_metrics(app: FastAPI, kernel: ServiceKernel) -> None:
    metrics = kernel.metrics

    def database_ping() -> None:
        with kernel.database.reading() as session:
            session.connection().exec_driver_sql("SELECT 1")

    metrics.add_collector(OutboxCollector(kernel.database), "outbox")
    # The one layer of ours around the routes: server span, size and NUL limits (before a route reads the body
    # or a guard the token), traceparent echo, latency histogram.
    app.add_middleware(HttpEdge, max_bytes=kernel.settings.max_body_bytes,
                       histogram=request_histogram(metrics.registry))
    install_ready_route(app, metrics, database_ping)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with metrics.serving(), inner(application):
            yield

    app.router.lifespan_context = lifespan


class _LagCollector:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self):
        lag = GaugeMetricFamily("jiesu_consumer_lag", "Events on the log not yet committed by the group",
                                labels=["group", "topic", "partition"])
        up = GaugeMetricFamily("jiesu_consumer_lag_up", "1 when the log answered the lag query in time")
        try:
            for p in self._metrics.lag_now():
                lag.add_metric([p.group, p.topic, str(p.partition)], p.lag)
            up.add_metric([], 1)
        except Exception as exc:  # the broker away: say so, and keep the scrape's other series
            self._metrics.quiet.warning("consumer lag unknown: %s: %s", type(exc).__name__, exc)
            up.add_metric([], 0)
        yield lag
        yield up


class _Guarded:
    def __init__(self, collector: object, name: str, quiet: QuietLog) -> None:
        self._collector, self._name, self._quiet = collector, name, quiet

    def collect(self):
        up = GaugeMetricFamily("jiesu_collector_up", "1 when the collector could read its source",
                               labels=["collector"])
        try:
            families = list(self._collector.collect())  # type: ignore[attr-defined]
            up.add_metric([self._name], 1)
        except Exception as exc:
            self._quiet.warning("metrics collector %s failed: %s: %s", self._name, type(exc).__name__, exc)
            families = []
            up.add_metric([self._name], 0)
        yield from families
        yield up
