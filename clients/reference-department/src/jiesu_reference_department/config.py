from __future__ import annotations

import json


from pydantic_settings import BaseSettings, SettingsConfigDict


class DepartmentCredentials(BaseSettings):
    api_key: str
    webhook_secret: str


class ReferenceDepartmentSettings(BaseSettings):
    """Which departments this process answers for, and how it behaves."""

    model_config = SettingsConfigDict(env_prefix="REFDEPT_", extra="ignore")

    gateway_url: str = "http://127.0.0.1:8003"
    host: str = "127.0.0.1"
    port: int = 8010
    # {"housing": {"api_key": "jsk_…", "webhook_secret": "whsec_…"}, …}; a file path works too
    credentials_json: str = "{}"
    accept_after_seconds: float = 1.0  # how long the department takes to decide

    def credentials(self) -> dict[str, DepartmentCredentials]:
        text = self.credentials_json
        if not text.lstrip().startswith("{"):
            with open(text, encoding="utf-8") as f:
                text = f.read()
        return {k: DepartmentCredentials(**v) for k, v in json.loads(text).items()}



