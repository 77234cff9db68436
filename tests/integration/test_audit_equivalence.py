"""The query-based audit answers exactly as the folding did (kept in tests/domain/audit_reference as the
reference): a 2,000-case simulated district goes onto the embedded log, a running audit consumes it into
its read models (SQLite and PostgreSQL), and every `/analytics/*` answer is compared with the folding's."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.domain.history import fold
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus
from jiesu_audit.domain.times import period_of
from tests.domain.audit_reference.departments import department_stats, handover_network
from tests.domain.audit_reference.rankings import research_rankings
from tests.domain.audit_reference.rates import outcome_mix, recurring_problems, three_rates
from tests.support.staff import STAFF, as_role
from tests.support.waiting import eventually

CASES, SEED = 2000, 14
AS_OF = datetime(2026, 1, 4, 12, tzinfo=UTC)  # inside the district's days: some deadlines open, some passed
CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())


def plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def district() -> list:
    return list(generate(cases=CASES, seed=SEED))


@pytest.fixture
def client(district: list, database: Database, tmp_path: Path, unique: str):  # type: ignore[no-untyped-def]
    settings = AuditSettings(bus="embedded", embedded_log_path=str(tmp_path / "log.sqlite3"), topic=f"eq.{unique}",
                             dead_letter_topic=f"eq.{unique}.dlq", consumer_group_prefix=unique,
                             database_url=database.url, staff=STAFF, cached_cases=300, stretch_events=4000)
    asyncio.run(publish_to_bus(district, EmbeddedBus(Path(settings.embedded_log_path)), settings.topic))
    with TestClient(build_app(settings, clock=lambda: AS_OF), headers=as_role("coordinator")) as client:
        def applied() -> bool:
            health = client.get("/health").json()
            return health["caught_up"] and health["events_applied"] == len(district)
        eventually(applied, timeout=600, interval=0.5, what="the district in the audit's read models")
        yield client


def every_page(client: TestClient, path: str, lists: tuple[str, ...], **params: Any) -> dict[str, Any]:
    answer = client.get(path, params={**params, "limit": 1000, "offset": 0}).json()
    offset = 1000
    while any(answer.get("pages", {}).get(name, {}).get("total", 0) > offset for name in lists):
        more = client.get(path, params={**params, "limit": 1000, "offset": offset}).json()
        for name in lists:
            answer[name] += more[name]
        offset += 1000
    answer.pop("pages", None)
    return answer


def every_row(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """A paged list of rows, read a page of 100 at a time to its end (the pages must join up exactly)."""
    rows: list[dict[str, Any]] = []
    while True:
        answer = client.get(path, params={**params, "limit": 100, "offset": len(rows)}).json()
        rows += answer["rows"]
        if not answer["rows"] or len(rows) >= answer["page"]["total"]:
            assert len(rows) == answer["page"]["total"], path
            return rows


def test_every_answer_equals_the_folding(client: TestClient, district: list) -> None:
    folded = fold(district)
    histories = [folded[k] for k in sorted(folded)]
    months = sorted({period_of(e.time, "month") for e in district})
    ranked: set[bool] = set()  # whether the rankings' units were ranked
    streets_decomposed = 0  # the most streets whose response times the rankings compared
    for period in ("month", "week", "day"):
        rows = every_row(client, "/analytics/departments", period=period, as_of=AS_OF.isoformat())
        assert rows == plain(department_stats(histories, period=period, as_of=AS_OF)), period
    network = plain(handover_network(histories))
    assert every_page(client, "/analytics/handovers", ("ping_pong", "multi_department_cases")) == network
    assert network["ping_pong"] and network["multi_department_cases"] and network["edges"]  # the test has teeth
    for department in sorted({r["department"] for r in department_stats(histories, period="month", as_of=AS_OF)}):
        mine = client.get(f"/analytics/departments/{department}", params={"as_of": AS_OF.isoformat()}).json()
        assert mine["handovers"] == [e for e in network["edges"] if department in (e["from"], e["to"])]
    for month in months:
        answer = client.get("/analytics/three-rates", params={"month": month, "as_of": AS_OF.isoformat()}).json()
        expected = plain(three_rates(histories, CONFIG, month=month, as_of=AS_OF))
        for kind in ("departments", "streets"):
            for mine, theirs in zip(answer[kind], expected[kind], strict=True):
                assert mine == theirs, (month, kind)
        assert answer == expected, month
        assert answer["departments"] and answer["streets"]
        assert client.get("/analytics/outcomes", params={"month": month}).json()["outcomes"] == \
            outcome_mix(histories, month=month)
        for options in ({}, {"min_count": 5, "confidence": 0.9, "resamples": 300, "seed": 7}):
            ranking = client.get("/analytics/rankings", params={"month": month, "as_of": AS_OF.isoformat(),
                                                                 **options}).json()
            assert ranking.pop("bootstrap") and ranking["response_time_by_street"].pop("measure")
            expected = plain(research_rankings(histories, CONFIG, month=month, as_of=AS_OF, **options))
            for kind in ("departments", "streets"):
                for mine, theirs in zip(ranking[kind], expected[kind], strict=True):
                    assert mine == theirs, (month, options, kind)
            assert ranking == expected, (month, options)
            ranked |= {r["rank"] is not None for kind in ("departments", "streets") for r in ranking[kind]}
            streets_decomposed = max(streets_decomposed, ranking["response_time_by_street"]["groups"])
    assert client.get("/analytics/outcomes").json()["outcomes"] == outcome_mix(histories)
    assert ranked == {True, False} and streets_decomposed > 1  # units counted too few times to be ranked too
    for window, least, level in ((30, 3, "community"), (7, 2, "grid"), (90, 5, "street")):
        answer = client.get("/analytics/recurring", params={"window_days": window, "min_cases": least,
                                                            "level": level, "limit": 1000, "case_limit": 2}).json()
        expected = plain(recurring_problems(histories, window_days=window, min_cases=least, level=level))
        assert answer["problems"] == [{**p, "case_ids": p["case_ids"][:2]} for p in expected[:1000]]
        assert answer["page"]["total"] == len(expected)
        assert expected and expected[0]["cases"] > 2, (window, least, level)  # the case lists are paged
        for problem in expected[:20]:
            assert every_case(client, problem, window) == problem, (window, level, problem["place"])


def every_case(client: TestClient, problem: dict[str, Any], window_days: int) -> dict[str, Any]:
    """A problem as /analytics/recurring/cases gives it, its cases read two at a time."""
    params = {"category": problem["category"], "place": "/".join(problem["place"].values()),
              "window_days": window_days, "limit": 2}
    answer = client.get("/analytics/recurring/cases", params={**params, "offset": 0}).json()
    for offset in range(2, answer.pop("page")["total"], 2):
        answer["case_ids"] += client.get("/analytics/recurring/cases", params={**params, "offset": offset}).json()[
            "case_ids"]
    return answer


def test_the_figures_from_once_ignored_events_count_every_such_event(client: TestClient, district: list) -> None:
    def events(kind: str) -> int:
        return sum(e.type == kind for e in district)

    deliveries = every_row(client, "/analytics/deliveries", period="week")
    assert sum(r["offers"] for r in deliveries) == events("task.offered.v1")
    assert sum(r["delivered"] for r in deliveries) == events("task.notified.v1")
    assert sum(r["failures"] for r in deliveries) == events("task.notification_failed.v1")
    warned = every_row(client, "/analytics/sla-warnings")
    assert sum(r["warnings"] for r in warned) == events("sla.warning.v1") > 0
    assert 0 < sum(r["heeded"] for r in warned) < events("sla.warning.v1")
    rulings = client.get("/analytics/rulings").json()
    assert sum(r["escalations"] for r in rulings["streets"]) == events("case.escalated.v1")
    counted = every_row(client, "/analytics/counted", period="day")
    assert sum(r["count"] for r in counted if r["kind"] == "callback_due") == events("case.callback_due.v1")
