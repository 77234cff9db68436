"""Which departments this process answers for, and how each behaves."""
from __future__ import annotations

import json
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Reason = Literal["not_our_remit", "wrong_jurisdiction", "insufficient_information", "duplicate", "other"]


class DepartmentCredentials(BaseModel):
    api_key: str
    webhook_secret: str


class Behaviour(BaseModel):
    """How a department answers its tasks. Delays are seconds after the previous step; None skips the step."""

    model_config = ConfigDict(extra="forbid")

    decide_after_seconds: float = Field(default=1.0, ge=0)
    # `reject_…`: the names before 退单 was "return" everywhere, still read so existing configurations work
    return_rate: float = Field(default=0.0, ge=0, le=1, description="share of offers returned (退单)",
                               validation_alias=AliasChoices("return_rate", "reject_rate"))
    return_reasons: list[Reason] = Field(default_factory=lambda: ["not_our_remit"], min_length=1,
                                         validation_alias=AliasChoices("return_reasons", "reject_reasons"))
    return_note: str = Field(default="not a matter for this department",
                             validation_alias=AliasChoices("return_note", "reject_note"))
    suggest_department: str | None = None
    respond_after_seconds: float | None = Field(default=2.0, ge=0)
    progress_after_seconds: float | None = Field(default=None, ge=0)
    complete_after_seconds: float | None = Field(default=5.0, ge=0)
    resolution: str = "handled on site; the citizen was informed"


class ReferenceDepartmentSettings(BaseSettings):
    # REFDEPT_COMPLETE_AFTER_SECONDS=null: the department never takes that step
    model_config = SettingsConfigDict(env_prefix="REFDEPT_", extra="ignore", populate_by_name=True,
                                      env_parse_none_str="null")

    gateway_url: str = "http://127.0.0.1:8003"
    host: str = "127.0.0.1"
    port: int = 8010
    # {"housing": {"api_key": "jsk_…", "webhook_secret": "whsec_…"}, …}; a file path works too
    credentials_json: str = "{}"
    # The default behaviour, then per-department overrides: {"housing": {"return_rate": 0.3}, …}
    decide_after_seconds: float = Field(default=1.0, ge=0, validation_alias=AliasChoices(
        "REFDEPT_DECIDE_AFTER_SECONDS", "REFDEPT_ACCEPT_AFTER_SECONDS", "decide_after_seconds"))
    return_rate: float = Field(default=0.0, ge=0, le=1, validation_alias=AliasChoices(
        "REFDEPT_RETURN_RATE", "REFDEPT_REJECT_RATE", "return_rate"))
    return_reasons: list[Reason] = Field(default_factory=lambda: ["not_our_remit"], validation_alias=AliasChoices(
        "REFDEPT_RETURN_REASONS", "REFDEPT_REJECT_REASONS", "return_reasons"))
    respond_after_seconds: float | None = 2.0
    complete_after_seconds: float | None = 5.0
    behaviour_json: str = "{}"
    poll_interval_seconds: float | None = None  # also poll GET /tasks?status=offered (for missed webhooks)
    seed: int | None = None  # make the random choices repeatable

    def credentials(self) -> dict[str, DepartmentCredentials]:
        return {k: DepartmentCredentials(**v) for k, v in _json_or_file(self.credentials_json).items()}

    def behaviour(self, department: str) -> Behaviour:
        base = Behaviour(decide_after_seconds=self.decide_after_seconds, return_rate=self.return_rate,
                         return_reasons=self.return_reasons, respond_after_seconds=self.respond_after_seconds,
                         complete_after_seconds=self.complete_after_seconds)
        # validated alone, so a field given by its old name (reject_rate) still overrides the base's
        override = Behaviour.model_validate(_json_or_file(self.behaviour_json).get(department, {}))
        return base.model_copy(update={name: getattr(override, name) for name in override.model_fields_set})


def _json_or_file(text: str) -> dict:
    if not text.lstrip().startswith("{"):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    return json.loads(text)
