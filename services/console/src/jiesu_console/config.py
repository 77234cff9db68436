"""The console's settings, read from the environment (prefix JIESU_) when it starts."""
from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIESU_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8005
    database_url: str = "sqlite:///.jiesu/console.sqlite3"  # sessions only; never another service's data
    log_level: str = "INFO"
    # The four services, reached over HTTP with the signed-in person's own credential.
    intake_url: str = "http://127.0.0.1:8001"
    dispatch_url: str = "http://127.0.0.1:8002"
    gateway_url: str = "http://127.0.0.1:8003"
    audit_url: str = "http://127.0.0.1:8004"
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh_CN"
    # Sessions: an opaque cookie; Secure when the console is served over HTTPS (JIESU_SECURE_COOKIES).
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Sign-in with the city's OpenID Connect provider (authorization code + PKCE), shown when the issuer is set.
    oidc_issuer: str | None = None
    oidc_console_client_id: str = "jiesu-console"
    oidc_console_client_secret: SecretStr | None = None  # a public client (PKCE) needs none
    console_url: str | None = None  # the console's public base URL, for the OIDC redirect; else the request's

    def service_url(self, service: str) -> str:
        return {"intake": self.intake_url, "dispatch": self.dispatch_url, "gateway": self.gateway_url,
                "audit": self.audit_url}[service].rstrip("/")
