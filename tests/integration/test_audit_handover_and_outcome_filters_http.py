"""`/analytics/handovers` within periods and `/analytics/outcomes` narrowed to a department or a place, over
HTTP on a running audit (SQLite and PostgreSQL read models): each narrowed answer is the city's share — the
days' edges add up to the city's, the streets' and districts' outcome mixes to the city's mix, a department's
mix is the folded last verdicts it led; a street without its district is a problem+json 422."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.domain.history import fold
from jiesu_audit.domain.times import period_of
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually


def test_handovers_within_periods_and_outcomes_of_a_unit(database: Database, tmp_path: Path, unique: str) -> None:
    district = list(generate(cases=300, seed=9))
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"hf.{unique}",
                             dead_letter_topic=f"hf.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF)
    asyncio.run(publish_to_bus(district, EmbeddedBus(Path(settings.embedded_log_path)), settings.topic))
    folded = fold(district)
    days = sorted({period_of(o.returned_at, "day") for h in folded.values() for o in h.lead_offers()
                   if o.returned_at is not None})
    places = sorted({(h.place["district"], h.place["street"]) for h in folded.values() if h.callbacks})
    leads = sorted({h.callbacks[-1].lead_department for h in folded.values()
                    if h.callbacks and h.callbacks[-1].lead_department})
    assert len(days) > 1 and len(places) > 1 and len(leads) > 1
    with TestClient(build_app(settings, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC)),
                    headers=as_role("researcher")) as client:
        # caught up, not only applied: the catch-up rebuilds its deferred indexes after the last event, and an
        # answer's float sums read in another order differ in their last bits from the reference's below
        eventually(lambda: (h := client.get("/health").json())["caught_up"] and h["events_applied"] == len(district),
                   timeout=120, what="the district in the audit's read model, the catch-up over")
        city = client.get("/analytics/handovers").json()
        each_day = {day: client.get("/analytics/handovers", params={"period": "day", "from": day, "to": day}).json()
                    for day in days}
        first_day = client.get("/analytics/handovers", params={"period": "day", "to": days[0]}).json()
        mix = client.get("/analytics/outcomes").json()["outcomes"]
        by_street = [client.get("/analytics/outcomes", params={"district": d, "street": s}).json()["outcomes"]
                     for d, s in places]
        by_district = [client.get("/analytics/outcomes", params={"district": d}).json()["outcomes"]
                       for d in sorted({d for d, _ in places})]
        by_lead = {lead: client.get("/analytics/outcomes", params={"department": lead}).json()["outcomes"]
                   for lead in leads}
        street_alone = client.get("/analytics/outcomes", params={"street": places[0][1]})
    summed: Counter = Counter()
    for answer in each_day.values():
        assert answer["ping_pong"] == city["ping_pong"]  # the lists of cases are not narrowed
        for e in answer["edges"]:
            summed[(e["from"], e["to"])] += e["returns"]
    assert summed == Counter({(e["from"], e["to"]): e["returns"] for e in city["edges"]})
    assert first_day["edges"] == each_day[days[0]]["edges"] != city["edges"]
    for narrowed in (by_street, by_district):
        assert {o: sum(m[o] for m in narrowed) for o in mix} == mix
    expected = {lead: Counter(h.callbacks[-1].outcome for h in folded.values()
                              if h.callbacks and h.callbacks[-1].lead_department == lead) for lead in leads}
    assert {lead: {o: n for o, n in m.items() if n} for lead, m in by_lead.items()} == expected
    assert street_alone.status_code == 422
    assert street_alone.headers["content-type"].startswith("application/problem+json")


def test_a_period_key_of_another_shape_is_refused_not_answered_empty(database: Database, tmp_path: Path,
                                                                      unique: str) -> None:
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"hk.{unique}",
                             dead_letter_topic=f"hk.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF)
    with TestClient(build_app(settings), headers=as_role("researcher")) as client:
        for path, params, field in [
                ("/analytics/handovers", {"period": "month", "from": "2026-11-01"}, "from"),  # a day for a month
                ("/analytics/handovers", {"period": "week", "to": "2026-11"}, "to"),  # a month for a week
                ("/analytics/departments", {"period": "day", "from": "2026-W47"}, "from"),
                ("/analytics/departments/housing", {"period": "month", "from": "2026-10", "to": "2026-13"}, "to"),
                ("/analytics/deliveries", {"period": "week", "from": "2026-47"}, "from"),
                ("/analytics/sla-warnings", {"period": "day", "to": "2026-11-31x"}, "to"),
                ("/analytics/counted", {"period": "month", "from": "11-2026"}, "from")]:
            answer = client.get(path, params=params)
            assert answer.status_code == 422, (path, params, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in answer.json()["errors"]] == [field], answer.json()
        assert client.get("/analytics/handovers", params={"period": "week", "from": "2026-W47",
                                                          "to": "2026-W48"}).status_code == 200
        assert client.get("/analytics/departments", params={"period": "day", "from": "2026-11-22"}).status_code == 200
