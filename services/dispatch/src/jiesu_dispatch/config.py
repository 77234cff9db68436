from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jiesu_shared.settings import ServiceSettings

from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_dispatch.watermark import Watermarks


class DispatchSettings(ServiceSettings):
    database_url: str = "sqlite:///.jiesu/dispatch.sqlite3"
    port: int = 8002
    routing_rules: str | None = None  # path to a routing JSON; the packaged default otherwise
    decide_within_hours: float = 2
    respond_within_hours: float = 24
    resolve_within_days: float = 7
    report_in_minutes: float = 30  # 吹哨报到: the default time to report in
    sla_rules: list[dict[str, Any]] = []  # per subject/urgency, e.g. [{"urgency": "emergency", "respond_within_hours": 2}]
    sla_warn_at: float = 0.8  # warn when this share of a deadline's window has passed
    max_returns: int = 2  # a case returned this many times escalates to a coordinator
    # The timer worker sleeps until the earliest timer is due; a timer another instance stored (a command it
    # served) is seen at most this long after (timer_worker.py).
    timer_recheck_seconds: float = 30.0
    # A deadline is decided once the case's partition is read this far past it (event time): what the
    # producers' outboxes may lag behind their events. After the log was away, the watermark is held
    # for the grace period while outboxes flush.
    sla_allowed_lateness_seconds: float = 2.0
    sla_recovery_grace_seconds: float = 5.0

    def routing_table(self) -> RoutingTable:
        if self.routing_rules:
            text = Path(self.routing_rules).read_text(encoding="utf-8")
        else:
            text = resources.files("jiesu_dispatch.rules").joinpath("default_routing.json").read_text("utf-8")
        return RoutingTable.from_dict(json.loads(text))

    def watermarks(self) -> Watermarks:
        return Watermarks(allowed_lateness=timedelta(seconds=self.sla_allowed_lateness_seconds),
                          recovery_grace=timedelta(seconds=self.sla_recovery_grace_seconds))

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(decide_within=timedelta(hours=self.decide_within_hours),
                         respond_within=timedelta(hours=self.respond_within_hours),
                         resolve_within=timedelta(days=self.resolve_within_days),
                         report_in_within=timedelta(minutes=self.report_in_minutes),
                         warn_at=self.sla_warn_at).with_overrides(self.sla_rules)
