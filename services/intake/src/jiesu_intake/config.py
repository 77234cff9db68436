from __future__ import annotations

from importlib import resources
from pathlib import Path

from jiesu_shared.settings import ServiceSettings

from jiesu_intake.domain.classification import Taxonomy


class IntakeSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/intake.sqlite3"
    port: int = 8001
    taxonomy_file: str | None = None  # JIESU_TAXONOMY_FILE; the packaged taxonomy when unset
    duplicate_window_hours: float = 72.0
    # JIESU_OPEN311_API_KEYS='{"<api key>":"<client name>"}'
    open311_api_keys: dict[str, str] = {}
    open311_unlocated_district: str = "unlocated"  # a place without district/street, for a person to locate

    def taxonomy(self) -> Taxonomy:
        if self.taxonomy_file:
            return Taxonomy.from_json(Path(self.taxonomy_file).read_text("utf-8"))
        return Taxonomy.from_json(resources.files("jiesu_intake.rules").joinpath("taxonomy.json").read_text("utf-8"))
