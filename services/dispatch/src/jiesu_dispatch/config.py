from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from pathlib import Path

from jiesu_shared.settings import ServiceSettings

from jiesu_dispatch.domain.case import SlaPolicy
from jiesu_dispatch.domain.routing import RoutingTable


class DispatchSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/dispatch.sqlite3"
    port: int = 8002
    routing_rules: str | None = None  # path to a routing JSON; the packaged default otherwise
    decide_within_hours: float = 2
    respond_within_hours: float = 24
    resolve_within_days: float = 7

    def routing_table(self) -> RoutingTable:
        if self.routing_rules:
            text = Path(self.routing_rules).read_text(encoding="utf-8")
        else:
            text = resources.files("jiesu_dispatch.rules").joinpath("default_routing.json").read_text("utf-8")
        return RoutingTable.from_dict(json.loads(text))

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(decide_within=timedelta(hours=self.decide_within_hours),
                         respond_within=timedelta(hours=self.respond_within_hours),
                         resolve_within=timedelta(days=self.resolve_within_days))
