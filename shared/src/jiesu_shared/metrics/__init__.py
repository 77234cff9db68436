"""Prometheus metrics for every service (prometheus_client): HTTP latency, consumer lag per partition,
the outbox's backlog, dead letters, plus collectors a service adds (the gateway's webhooks, dispatch's
timers). Served by prometheus_client's own server on a separate port (JIESU_METRICS_PORT), never on the
API's port: an operator's scraper reaches it inside the cluster, the public never does."""
from jiesu_shared.metrics.kernel import ServiceMetrics, install_metrics
from jiesu_shared.metrics.server import install_http_metrics

__all__ = ["ServiceMetrics", "install_http_metrics", "install_metrics"]
