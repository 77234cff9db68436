"""The hand-over edges within periods: each return counts in the month, ISO week and day it was made (the
timeline's `returned_at`), worked out by hand on the known log; a narrowed answer is the city's share; and a
read model written before returns carried their time gets it at start, as a fresh audit writes it; a
department's dashboard shows the hand-overs of the periods it is asked for."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from jiesu_audit.handlers import AuditService
from jiesu_audit.entrypoints.analytics_http import department as department_dashboard
from jiesu_audit.queries import handovers
from jiesu_audit.readmodel.return_times import ADDED, add_return_times
from jiesu_audit.readmodel.indexes import settle_indexes
from jiesu_simulator.offline import generate
from tests.domain.audit_known_log import AS_OF, known_log
from tests.domain.audit_readmodel import fold, fresh_database, project

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL

# The known log's returns: property-firm → housing 11-01 08:35 UTC (W44, cost 2100 s) and, case 2's ping-pong,
# property-firm → housing 11-05 08:10 (1200 s) and housing → property-firm 11-05 09:20 (4200 s), both W45.
HOUSING_TO_PF = {"from": "housing", "to": "property-firm", "returns": 1, "total_cost_seconds": 4200,
                 "median_cost_seconds": 4200}


def edges(database, department: str | None = None,  # type: ignore[no-untyped-def]
          **within: Any) -> list[dict[str, Any]]:
    with database.reading() as session:
        return handovers.edges(session.connection(), department, **within)


def test_the_edges_of_the_returns_made_within_periods() -> None:
    database = fold(known_log()).database
    everything = edges(database)
    assert everything == edges(database, period="month", first="2026-11", last="2026-11")
    assert edges(database, period="week", first="2026-W44", last="2026-W44") == [
        {"from": "property-firm", "to": "housing", "returns": 1, "total_cost_seconds": 2100,
         "median_cost_seconds": 2100}]
    assert edges(database, period="week", first="2026-W45") == [
        HOUSING_TO_PF, {"from": "property-firm", "to": "housing", "returns": 1, "total_cost_seconds": 1200,
                        "median_cost_seconds": 1200}]
    assert edges(database, period="day", first="2026-11-05", last="2026-11-05") == edges(
        database, period="week", first="2026-W45", last="2026-W45")
    assert edges(database, period="day", last="2026-11-04") == edges(database, period="week", last="2026-W44")
    assert edges(database, period="month", first="2026-10", last="2026-10") == []
    assert edges(database, "housing", period="week", first="2026-W45") == [
        HOUSING_TO_PF, {"from": "property-firm", "to": "housing", "returns": 1, "total_cost_seconds": 1200,
                        "median_cost_seconds": 1200}]


def test_the_days_edges_add_up_to_the_citys() -> None:
    database = fresh_database()
    project(database, generate(cases=600, seed=8))
    everything = {(e["from"], e["to"]): e for e in edges(database)}
    with database.reading() as session:
        days = sorted(session.connection().execute(text("SELECT DISTINCT returned_day FROM audit_returns "
                                                        "WHERE to_department IS NOT NULL")).scalars())
    assert len(days) > 1
    summed: dict[tuple[str, str], list[float]] = {}
    for day in days:
        for e in edges(database, period="day", first=day, last=day):
            counted = summed.setdefault((e["from"], e["to"]), [0, 0])
            counted[0] += e["returns"]
            counted[1] += round(e["total_cost_seconds"] * 1_000_000)
    assert {edge: (e["returns"], round(e["total_cost_seconds"] * 1_000_000)) for edge, e in everything.items()} == {
        edge: tuple(counted) for edge, counted in summed.items()}
    assert edges(database, period="day", last=days[0]) != edges(database)
    assert edges(database, period="day", first=days[0], last=days[-1]) == edges(database)  # medians too


def dashboard_edges(database, department: str, period: str, first: str | None = None,  # type: ignore[no-untyped-def]
                    last: str | None = None) -> list[dict[str, Any]]:
    """`/analytics/departments/{department}`'s hand-overs, as its route answers them."""
    service = AuditService(database, {}, clock=lambda: AS_OF)
    return department_dashboard(department, service, period=period, as_of=AS_OF, first=first,
                                last=last)["handovers"]


def test_a_departments_dashboard_shows_the_hand_overs_of_its_periods() -> None:
    database = fold(known_log()).database
    assert dashboard_edges(database, "housing", "week", "2026-W45", "2026-W45") == [
        HOUSING_TO_PF, {"from": "property-firm", "to": "housing", "returns": 1, "total_cost_seconds": 1200,
                        "median_cost_seconds": 1200}]
    assert dashboard_edges(database, "housing", "day", last="2026-11-01") == [
        {"from": "property-firm", "to": "housing", "returns": 1, "total_cost_seconds": 2100,
         "median_cost_seconds": 2100}]
    assert dashboard_edges(database, "housing", "month") == edges(database, "housing")  # all time: 3 returns


def test_a_departments_narrowed_hand_overs_are_the_citys_restricted_to_its_periods() -> None:
    database = fresh_database()
    project(database, generate(cases=600, seed=8))
    with database.reading() as session:
        days = sorted(session.connection().execute(text("SELECT DISTINCT returned_day FROM audit_returns "
                                                        "WHERE to_department IS NOT NULL")).scalars())
    city = edges(database)
    busiest = max({e["from"] for e in city} | {e["to"] for e in city},
                  key=lambda d: sum(e["returns"] for e in city if d in (e["from"], e["to"])))
    assert len(days) > 1
    for first, last in ((days[0], days[0]), (days[-1], days[-1]), (None, days[0]), (days[1], None)):
        narrowed = dashboard_edges(database, busiest, "day", first, last)
        assert narrowed == [e for e in edges(database, period="day", first=first, last=last)
                            if busiest in (e["from"], e["to"])]
    whole = dashboard_edges(database, busiest, "day")
    assert whole == [e for e in city if busiest in (e["from"], e["to"])]
    summed: dict[tuple[str, str], list[int]] = {}
    for day in days:
        narrowed = dashboard_edges(database, busiest, "day", day, day)
        assert narrowed != whole
        for e in narrowed:
            counted = summed.setdefault((e["from"], e["to"]), [0, 0])
            counted[0] += e["returns"]
            counted[1] += round(e["total_cost_seconds"] * 1_000_000)
    assert summed == {(e["from"], e["to"]): [e["returns"], round(e["total_cost_seconds"] * 1_000_000)]
                      for e in whole}

NEW_INDEXES = ("ix_audit_returns_month_edges", "ix_audit_returns_week_edges", "ix_audit_returns_day_edges")


def returns_table(database) -> list[tuple]:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        return sorted(session.connection().execute(text(
            "SELECT case_id, from_department, to_department, cost_seconds, returned_us, returned_month, "
            "returned_week, returned_day FROM audit_returns")).all(), key=repr)


def test_an_older_read_model_gets_the_times_of_its_returns_from_the_stored_histories() -> None:
    database = fresh_database()
    project(database, generate(cases=300, seed=4))
    fresh, fresh_days = returns_table(database), edges(database, period="day", first="2026-01-02")
    with database.engine.begin() as conn:  # the read model as the version before wrote it
        for index in NEW_INDEXES:
            conn.execute(text(f"DROP INDEX {index}"))
        for column in ADDED:
            conn.execute(text(f"ALTER TABLE audit_returns DROP COLUMN {column}"))

    assert add_return_times(database) == len({row[0] for row in fresh}) > 10
    assert add_return_times(database) is None  # once only
    assert sorted(settle_indexes(database)) == sorted(NEW_INDEXES)
    assert returns_table(database) == fresh
    assert edges(database, period="day", first="2026-01-02") == fresh_days != edges(database)
