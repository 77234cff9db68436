from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from jiesu_shared.settings import ServiceSettings

from jiesu_intake.domain.classification import Taxonomy
from jiesu_intake.entrypoints.open311_public import DEFAULT_PUBLIC, PUBLISHABLE


class IntakeSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/intake.sqlite3"
    port: int = 8001
    taxonomy_file: str | None = None  # JIESU_TAXONOMY_FILE; the packaged taxonomy when unset
    # The master key that wraps citizens' keys (master_key.py): a file, or a command that prints it (a KMS or
    # secrets store's CLI); on SQLite, by default a key file made beside the database.
    master_key_file: str | None = None
    master_key_command: str | None = None
    duplicate_window_hours: float = 72.0
    # New cases are committed in batches at most this often while requests keep coming (group_commit.py): a few
    # requests share a commit under load, for at most this much more per request; a lone one goes at once.
    # 100 ms, not 50: each batch is also one relay turn and one wake-up of every reader downstream, so halving
    # the batches cut the four services' CPU per case by ~1 ms (~10 %) at 100 cases/s (BENCHMARKS.md).
    group_commit_interval_seconds: float = Field(default=0.1, ge=0)
    # JIESU_OPEN311_API_KEYS='{"<api key>":"<client name>"}'
    open311_api_keys: dict[str, str] = {}
    # JIESU_OPEN311_RESUBMISSION_WINDOW_MINUTES: an identical POST without an Idempotency-Key from the same
    # app is the same request only within this window (two citizens may well report the same pothole)
    open311_resubmission_window_minutes: float = Field(default=10.0, gt=0)
    open311_unlocated_district: str = "unlocated"  # a place without district/street, for a person to locate
    # JIESU_OPEN311_PUBLIC_FIELDS: what anyone may read of a request, comma-separated or a JSON list
    open311_public_fields: Annotated[list[str], NoDecode] = list(DEFAULT_PUBLIC)

    @field_validator("open311_public_fields", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.lstrip().startswith("[") else [v.strip() for v in value.split(",")
                                                                             if v.strip()]
        return value

    @field_validator("open311_public_fields")
    @classmethod
    def _publishable(cls, fields: list[str]) -> list[str]:
        if refused := sorted(set(fields) - PUBLISHABLE):
            raise ValueError(f"{refused} cannot be public (the exact place and contact are sealed); "
                             f"choose from {sorted(PUBLISHABLE)}")
        return fields

    def taxonomy(self) -> Taxonomy:
        if self.taxonomy_file:
            return Taxonomy.from_json(Path(self.taxonomy_file).read_text("utf-8"))
        return Taxonomy.from_json(resources.files("jiesu_intake.rules").joinpath("taxonomy.json").read_text("utf-8"))
