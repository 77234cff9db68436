"""The new figures over HTTP on a running audit (SQLite and PostgreSQL read models), narrowed to one unit:
each narrowed answer is the query's with that filter, and its rows are the unfiltered answer's share; the
rows come a page at a time and the pages join up; the recurring problems narrowed to a district or street are
the city's ranking's share; a malformed unit is a problem+json 422."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.queries import signals
from jiesu_simulator.offline import generate
from jiesu_simulator.scenario import default_scenario
from jiesu_simulator.sinks import publish_to_bus
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually


def test_figures_narrowed_to_a_department_a_street_and_a_district(database: Database, tmp_path: Path, unique: str) -> None:
    district = list(generate(cases=300, seed=9, scenario=default_scenario()))
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"sg.{unique}",
                             dead_letter_topic=f"sg.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF)
    asyncio.run(publish_to_bus(district, EmbeddedBus(Path(settings.embedded_log_path)), settings.topic))
    with TestClient(build_app(settings, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC)),
                    headers=as_role("researcher")) as client:
        # caught up, not only applied: the catch-up rebuilds its deferred indexes after the last event, and an
        # answer's float sums read in another order differ in their last bits from the reference's below
        eventually(lambda: (h := client.get("/health").json())["caught_up"] and h["events_applied"] == len(district),
                   timeout=120, what="the district in the audit's read model, the catch-up over")
        everything = {path: client.get(f"/analytics/{path}").json()["rows"]
                      for path in ("deliveries", "sla-warnings", "counted")}
        department = everything["deliveries"][0]["department"]
        narrowed = {path: client.get(f"/analytics/{path}", params={"department": department}).json()["rows"]
                    for path in everything}
        streets = client.get("/analytics/rulings").json()["streets"]
        assert streets, "the district's escalations"
        street = streets[0]["street"]
        one_street = client.get("/analytics/rulings", params={"street": street}).json()
        bad = client.get("/analytics/rulings", params={"street": "no-slash"})
        counted = client.get("/analytics/counted", params={"period": "day"}).json()
        recurring = client.get("/analytics/recurring", params={"min_cases": 2, "limit": 1000}).json()["problems"]
        district = recurring[0]["place"]["district"] if recurring else "none"
        its_street = recurring[0]["place"]["street"] if recurring else "none"
        in_district = client.get("/analytics/recurring", params={"min_cases": 2, "limit": 1000,
                                                                  "district": district}).json()
        in_street = client.get("/analytics/recurring", params={"min_cases": 2, "limit": 1000, "district": district,
                                                                "street": its_street}).json()
        street_alone = client.get("/analytics/recurring", params={"street": its_street})
        nowhere = client.get("/analytics/recurring", params={"min_cases": 2, "district": "Nowhere"}).json()
        pages = [client.get("/analytics/counted", params={"period": "day", "limit": 2, "offset": offset}).json()
                 for offset in range(0, counted["page"]["total"], 2)]
    for path, rows in narrowed.items():
        assert rows == [r for r in everything[path] if r["department"] == department], path
    assert narrowed["deliveries"], "the department's own deliveries"
    with Database(database.url).reading() as session:
        expected = signals.awaiting_rulings(session.connection(), first=None, last=None, street=street)
    assert one_street == json.loads(json.dumps(expected))
    assert {r["street"] for r in one_street["streets"]} <= {street}
    assert counted["page"] == {"total": len(counted["rows"]), "limit": 1000, "offset": 0} and len(pages) > 1
    assert [row for page in pages for row in page["rows"]] == counted["rows"]  # the pages join up, in order
    assert all(len(page["rows"]) <= 2 for page in pages)
    assert len({p["place"]["street"] for p in recurring}) > 1, "problems in several streets"
    assert in_district["problems"] == [p for p in recurring if p["place"]["district"] == district]
    assert in_district["page"]["total"] == len(in_district["problems"])
    assert in_street["problems"] == [p for p in in_district["problems"] if p["place"]["street"] == its_street]
    assert 0 < len(in_street["problems"]) < len(recurring)
    assert nowhere["problems"] == [] and nowhere["page"]["total"] == 0
    assert street_alone.status_code == 422
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
