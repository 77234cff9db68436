"""Where /metrics is served and what "ready" means, read from the environment like every setting."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIESU_", extra="ignore")

    # prometheus_client's HTTP server for GET /metrics; unset: no listener (the registry still counts)
    metrics_port: int | None = None
    metrics_host: str | None = None  # unset: the service's own JIESU_HOST
    # /ready answers 503 while the service's consumers are further behind the log than this many events
    ready_max_lag: int = 1000
    # seconds the log may take to tell the lag before a scrape or /ready gives up asking
    lag_timeout_seconds: float = 3.0
