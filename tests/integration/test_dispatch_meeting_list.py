"""The joint meetings list on SQLite and PostgreSQL: a page at a time, the latest scheduled first, filtered by
open or adjourned and by the convening street office, with the filter's total; bad parameters are refused; and
a database from before the list's table gets it filled from the ledger on start."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from jiesu_shared.store import Database

from jiesu_dispatch.adapters.tables import MeetingListRow, MeetingListVersionRow
from tests.integration.test_dispatch_board_projection import dispatch_on
from tests.integration.test_dispatch_http import START, Clock, received, refused


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(database: Database, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with dispatch_on(database, tmp_path, clock) as test_client:
        yield test_client


def convene(client: TestClient, case_id: str, office: str, days: int) -> str:
    answer = client.post("/meetings", json={"street_office": office, "participants": ["housing"],
                                            "case_ids": [case_id], "scheduled_at": (START + timedelta(days=days)).isoformat()})
    assert answer.status_code == 201, answer.text
    return answer.json()["meeting_id"]


def listed(client: TestClient, **params: object) -> dict:
    answer = client.get("/meetings", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ids(page: dict) -> list[str]:
    return [m["meeting_id"] for m in page["meetings"]]


def test_the_list_pages_through_the_meetings_latest_scheduled_first(client: TestClient) -> None:
    case_id = received(client)
    by_day = {day: convene(client, case_id, "street-office", day) for day in (3, 1, 4, 2, 5)}
    first, second, third = (listed(client, limit=2, offset=offset) for offset in (0, 2, 4))
    assert ids(first) + ids(second) + ids(third) == [by_day[day] for day in (5, 4, 3, 2, 1)]
    assert [(p["total"], p["offset"], p["truncated"]) for p in (first, second, third)] == [
        (5, 0, True), (5, 2, True), (5, 4, False)]
    assert listed(client, offset=10) == {"meetings": [], "total": 5, "offset": 10, "truncated": False}
    assert len(listed(client)["meetings"]) == 5  # 50 by default
    assert first["meetings"][0]["case_ids"] == [case_id]  # each with what GET /meetings/{id} says of it


def test_the_list_filters_by_state_and_street_office_and_counts_the_filter(client: TestClient) -> None:
    case_id = received(client)
    office = [convene(client, case_id, "street-office", day) for day in (1, 2, 3)]
    other = convene(client, case_id, "housing", 4)
    adjourned = client.post(f"/meetings/{office[1]}/adjourn", json={})  # no open tasks: nothing carries over
    assert adjourned.status_code == 200, adjourned.text
    assert ids(listed(client, street_office="street-office")) == [office[2], office[1], office[0]]
    assert ids(listed(client, status="open")) == [other, office[2], office[0]]
    assert ids(listed(client, status="adjourned")) == [office[1]]
    both = listed(client, status="open", street_office="street-office", limit=1)
    assert (ids(both), both["total"], both["truncated"]) == ([office[2]], 2, True)
    assert listed(client, street_office="nobody")["total"] == 0


def test_a_carried_over_meeting_joins_the_list_as_open(client: TestClient, clock: Clock) -> None:
    case_id = received(client)
    meeting_id = convene(client, case_id, "street-office", 1)
    decided = client.post(f"/meetings/{meeting_id}/decisions", json={
        "case_id": case_id, "text": "act", "owner_department": "housing",
        "deadline": (START + timedelta(days=2)).isoformat()})
    assert decided.status_code == 201, decided.text
    follow_up = client.post(f"/meetings/{meeting_id}/adjourn",
                            json={"carry_over_to": (START + timedelta(days=7)).isoformat()}).json()["carried_over_to"]
    page = listed(client, street_office="street-office")
    assert [(m["meeting_id"], m["status"]) for m in page["meetings"]] == [(follow_up, "open"),
                                                                           (meeting_id, "adjourned")]
    assert [d["carried_over_from"] for d in page["meetings"][0]["decisions"]] == [meeting_id]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"},
                                    {"status": "closed"}, {"street_office": ""}, {"street_office": "x" * 101}])
def test_bad_parameters_are_refused(client: TestClient, params: dict) -> None:
    answer = refused(client.get("/meetings", params=params), 422, "validation-error")
    assert answer["errors"], answer


def test_a_database_from_before_the_list_gets_it_filled_from_the_ledger(
        database: Database, tmp_path: Path, clock: Clock) -> None:
    with dispatch_on(database, tmp_path, clock) as first:
        case_id = received(first)
        made = [convene(first, case_id, office, day) for office, day in (("street-office", 1), ("housing", 2))]
        assert first.post(f"/meetings/{made[0]}/adjourn", json={}).status_code == 200
        before = [listed(first, **params) for params in ({}, {"status": "open"}, {"street_office": "street-office"})]
    SQLModel.metadata.drop_all(database.engine, tables=[t.__table__ for t in (  # type: ignore[attr-defined]
        MeetingListRow, MeetingListVersionRow)])
    with dispatch_on(database, tmp_path, clock) as restarted:
        after = [listed(restarted, **params) for params in ({}, {"status": "open"}, {"street_office": "street-office"})]
    assert after == before and [p["total"] for p in before] == [2, 1, 1]
