from __future__ import annotations

from pydantic import Field, SecretStr

from jiesu_shared.settings import ServiceSettings

# Standard Webhooks' suggested schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h.
DEFAULT_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 86400]


class GatewaySettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/gateway.sqlite3"
    port: int = 8003
    allow_private_webhook_targets: bool = False  # only tests and the local demo turn this on
    webhook_timeout_seconds: float = 10.0
    retry_schedule_seconds: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))
    delivery_concurrency: int = 16
    # How long a rotated-out API key or webhook secret keeps working, so departments switch without downtime.
    credential_grace_seconds: float = 24 * 3600
    # Where the gateway asks for a case's personal data, for a department with a live task on it; the token
    # is a staff token with the disclosure role. Unset: no personal data is ever fetched.
    intake_url: str = "http://127.0.0.1:8001"
    intake_token: SecretStr | None = None
    # Where the gateway reads a department's own figures for it; the token is a staff token with audit's
    # figures role. Unset: `GET /figures` answers 503.
    audit_url: str = "http://127.0.0.1:8004"
    audit_token: SecretStr | None = None
