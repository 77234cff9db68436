from __future__ import annotations

from jiesu_shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/audit.sqlite3"
    port: int = 8004
