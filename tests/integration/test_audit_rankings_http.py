"""`GET /analytics/rankings` on a running audit over the embedded log (SQLite and PostgreSQL read models):
the answer equals the query's over the same read model, researchers and coordinators may read it, the
call-back desk may not, and a bad parameter is a problem+json 422."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.queries.rankings import research_rankings
from jiesu_simulator.offline import generate
from jiesu_simulator.scenario import default_scenario
from jiesu_simulator.sinks import publish_to_bus
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def test_rankings_over_http(database: Database, tmp_path: Path, unique: str) -> None:
    district = list(generate(cases=400, seed=5, scenario=replace(default_scenario(), slow_streets={"Jingshan": 6.0})))
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"rk.{unique}",
                             dead_letter_topic=f"rk.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF)
    asyncio.run(publish_to_bus(district, EmbeddedBus(Path(settings.embedded_log_path)), settings.topic))
    with TestClient(build_app(settings, clock=lambda: AS_OF), headers=as_role("researcher")) as client:
        # caught up, not only applied: the catch-up rebuilds its deferred indexes after the last event, and an
        # answer's float sums read in another order differ in their last bits from the reference's below
        eventually(lambda: (h := client.get("/health").json())["caught_up"] and h["events_applied"] == len(district),
                   timeout=120, what="the district in the audit's read model, the catch-up over")
        answer = client.get("/analytics/rankings", params={"month": "2026-01", "min_count": 20, "resamples": 300})
        as_coordinator = client.get("/analytics/rankings", params={"month": "2026-01"},
                                    headers=as_role("coordinator"))
        as_callback = client.get("/analytics/rankings", params={"month": "2026-01"}, headers=as_role("callback"))
        bad = client.get("/analytics/rankings", params={"month": "2026-01", "min_count": 0})
        config = client.get("/analytics/definitions").json()
    assert answer.status_code == 200 and as_coordinator.status_code == 200 and as_callback.status_code == 403
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    with Database(database.url).reading() as session:
        expected = research_rankings(session.connection(), config, month="2026-01", as_of=AS_OF, min_count=20,
                                     resamples=300)
    assert answer.json() == json.loads(json.dumps(expected))
    body = answer.json()
    assert body["min_count"] == 20 and body["departments"][0]["rank"] == 1
    assert body["response_time_by_street"]["streets"][0]["street"] == "Dongcheng/Jingshan"
