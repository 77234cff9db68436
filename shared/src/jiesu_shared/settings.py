"""Settings common to every service, read from the environment (prefix JIESU_) when constructed, never at import."""
from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiesu_shared.access.principal import StaffToken
from jiesu_shared.bus.port import Bus


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIESU_", extra="ignore")

    bus: Literal["embedded", "kafka"] = "embedded"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "JIESU_KAFKA_BOOTSTRAP_SERVERS"),
    )
    embedded_log_path: str = ".jiesu/log.sqlite3"
    topic: str = "jiesu.case-events"
    dead_letter_topic: str = "jiesu.case-events.dlq"
    consumer_group_prefix: str = "jiesu"

    database_url: str = "sqlite:///.jiesu/service.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000

    otlp_endpoint: str | None = None  # e.g. http://127.0.0.1:4318/v1/traces
    trace_file: str | None = None  # JSON lines of finished spans, for following a trace without a collector
    log_level: str = "INFO"

    # Who may call (jiesu_shared.access). Static tokens: JIESU_STAFF='[{"id":"coord-li","token":"…",
    # "roles":["coordinator"]}]'; the admin token is principal "admin" with role admin.
    staff: list[StaffToken] = []
    admin_token: SecretStr | None = None
    # Tokens from the city's OpenID Connect provider (off while the issuer is unset).
    oidc_issuer: str | None = None  # e.g. https://sso.city.gov.cn/realms/jiesu
    oidc_audience: str = "jiesu"
    oidc_jwks_url: str | None = None  # discovered from the issuer when unset
    oidc_roles_claim: str = "realm_access.roles"  # a dotted path into the token's claims
    oidc_id_claim: str = "preferred_username"  # who the principal is, recorded in events (else "sub")
    oidc_algorithms: list[str] = ["RS256", "PS256", "ES256"]
    # Bodies over this are refused before anything reads them or authenticates the caller.
    max_body_bytes: int = 64 * 1024
    # A consumer that got events waits this long for more to handle in the same turn: under a steady load one
    # transaction (and one relay turn) for several events instead of one each, for a few ms more per hop.
    linger_seconds: float = 0.01
    # The outbox relay turns at most this often while commits keep coming (store/relay.py): one append to the log
    # for an interval's commits, and so fewer turns for every reader of it (most of the CPU per case saved at 100
    # cases/s, see BENCHMARKS.md, for ~25 ms more at the webhook's median). A commit after a quiet spell goes at once.
    relay_turn_interval_seconds: float = Field(default=0.05, ge=0)

    def make_bus(self, client_id: str) -> Bus:
        if self.bus == "kafka":
            from jiesu_shared.bus.kafka import KafkaBus

            return KafkaBus(self.kafka_bootstrap_servers, client_id=client_id)
        from jiesu_shared.bus.embedded import EmbeddedBus

        return EmbeddedBus(self.embedded_log_path)

    def group(self, name: str) -> str:
        return f"{self.consumer_group_prefix}.{name}"
