"""The running audit consumer over the real log (embedded and Kafka) and its database (SQLite and
PostgreSQL): the hand-made log goes onto the bus with a poison record among it, and the HTTP answers
reproduce the hand-computed figures."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.port import Bus, OutgoingRecord
from jiesu_shared.events import encode_envelope
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.domain.audit_known_log import AS_OF, C1, C2, C3, C4, known_log
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually

EVENTS = known_log()


@pytest.fixture
def settings(bus_kind: str, database: Database, tmp_path: Path, unique: str, request: pytest.FixtureRequest
             ) -> AuditSettings:
    kafka = request.getfixturevalue("kafka_bootstrap") if bus_kind == "kafka" else "unused:9092"
    return AuditSettings(bus=bus_kind, kafka_bootstrap_servers=kafka, embedded_log_path=str(tmp_path / "log.sqlite3"),
                         topic=f"audit.{unique}", dead_letter_topic=f"audit.{unique}.dlq",
                         consumer_group_prefix=f"t{unique}", database_url=database.url, staff=STAFF)


async def put_on_the_log(bus: Bus, topic: str) -> None:
    await bus.ensure_topics([topic, topic + ".dlq"])
    records = []
    for i, envelope in enumerate(EVENTS):
        key, headers, value = encode_envelope(envelope)
        records.append(OutgoingRecord(topic, key, value, tuple(headers)))
        if i == 10:  # a poison record in the middle of case 1's events
            records.append(OutgoingRecord(topic, C1.encode(), b"{not json", tuple(headers)))
    await publish(bus, records)


def all_events_seen(client: TestClient) -> bool:
    cases = (C1, C2, C3, C4, "housing")  # "housing": the subject of an event about no case
    counts = [len(client.get(f"/cases/{c}/timeline").json().get("events", [])) for c in cases]
    return counts == [sum(e.subject == c for e in EVENTS) for c in cases]


ANSWERS = ["/cases/case-2/timeline", "/analytics/departments", "/analytics/handovers", "/analytics/outcomes",
           "/analytics/three-rates?month=2026-11", "/analytics/recurring", "/analytics/departments/housing"]


def test_the_running_audit_reproduces_the_known_answers(settings: AuditSettings, bus: Bus, tmp_path: Path) -> None:
    asyncio.run(put_on_the_log(bus, settings.topic))
    with TestClient(build_app(settings, clock=lambda: AS_OF), headers=as_role("coordinator")) as client:
        eventually(lambda: all_events_seen(client), timeout=60, what="the hand-made log in the audit")
        first_answers = [client.get(path).content for path in ANSWERS]
        timeline = client.get(f"/cases/{C1}/timeline").json()
        rates = client.get("/analytics/three-rates", params={"month": "2026-11"}).json()
        handovers = client.get("/analytics/handovers").json()
        housing = client.get("/analytics/departments/housing").json()
        recurring = client.get("/analytics/recurring").json()
        first_two = client.get("/analytics/recurring", params={"case_limit": 2}).json()["problems"]
        sanyanjing = {"category": "property_management", "place": "Dongcheng/Jingshan/Sanyanjing"}
        the_rest = client.get("/analytics/recurring/cases", params={**sanyanjing, "limit": 2, "offset": 2}).json()
        unnamed = client.get("/analytics/recurring/cases", params={**sanyanjing, "place": "Dongcheng"})
        unknown = client.get("/analytics/recurring/cases", params={**sanyanjing, "category": "no_such_subject"})
        bad_month = client.get("/analytics/three-rates", params={"month": "2026-13"})
        missing = client.get("/cases/no-such-case/timeline")
        weekly = client.get("/analytics/departments", params={"period": "week", "from": "2026-W47"}).json()

    assert [e["event_id"] for e in timeline["events"]] == [e.id for e in EVENTS if e.subject == C1]
    received = timeline["events"][0]
    assert received["since_previous_seconds"] is None and timeline["events"][1]["since_previous_seconds"] == 300
    assert timeline["events"][4]["actor"] == "property-firm" and timeline["events"][4]["type"] == "task.returned.v2"
    assert timeline["intervals"]["flying_seconds"] == 7200
    assert timeline["intervals"]["returns"][0]["cost_seconds"] == 2100
    assert [(r["rank"], r["department"], r["composite"]) for r in rates["departments"]] == [
        (1, "housing", 1.0), (2, "urban-management", 0.4), (3, "property-firm", 0.26)]
    assert [(r["street"], r["composite"]) for r in rates["streets"]] == [
        ("Dongcheng/Jingshan", 0.523333), ("Haidian/Zhongguancun", 0.4)]
    assert handovers["ping_pong"][0]["chain"] == ["property-firm", "housing", "property-firm"]
    assert housing["rows"][0]["time_to_decide_seconds"] == {"count": 3, "median": 3600, "p90": 4800}
    assert housing["rows"][0]["meeting_tasks"] == {"open": 1, "overdue": 1}
    assert [(p["category"], p["cases"]) for p in recurring["problems"]] == [("property_management", 3)]
    assert [(p["cases"], p["case_ids"]) for p in first_two] == [(3, [C1, C2])]  # the rest on the next page:
    assert (the_rest["case_ids"], the_rest["page"]) == ([C3], {"total": 3, "limit": 2, "offset": 2})
    assert (the_rest["first_received"], the_rest["last_received"]) == (
        recurring["problems"][0]["first_received"], recurring["problems"][0]["last_received"])
    for refused, status in ((unnamed, 422), (unknown, 404)):
        assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    assert bad_month.status_code == 422 and bad_month.headers["content-type"] == "application/problem+json"
    assert missing.status_code == 404
    # ISO week 47 (11-16…11-22) on: only case 3 — housing's T8, urban-management and fire-safety summoned
    assert {(r["department"], r["period"]) for r in weekly["rows"]} == {
        ("housing", "2026-W47"), ("urban-management", "2026-W47"), ("fire-safety", "2026-W47")}
    dead = asyncio.run(dead_letters(bus, settings.dead_letter_topic))
    assert [r.value for r in dead] == [b"{not json"]

    # Rebuilt from offset 0 by a fresh audit (new database, new consumer group): byte-identical answers.
    rebuilt = settings.model_copy(update={"consumer_group_prefix": settings.consumer_group_prefix + "-again",
                                          "database_url": f"sqlite:///{tmp_path}/rebuilt.sqlite3"})
    with TestClient(build_app(rebuilt, clock=lambda: AS_OF), headers=as_role("coordinator")) as client:
        eventually(lambda: all_events_seen(client), timeout=60, what="the rebuild from offset 0")
        assert [client.get(path).content for path in ANSWERS] == first_answers


async def dead_letters(bus: Bus, topic: str) -> list:
    sub = await open_subscription(bus, "reader", topic)
    try:
        return await collect(sub, 1, timeout=20) + await sub.poll(timeout=0.5)
    finally:
        await sub.stop()


