from __future__ import annotations

from jiesu_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/intake.sqlite3"
    port: int = 8001
