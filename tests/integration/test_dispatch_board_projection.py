"""The board's projected tables on SQLite and PostgreSQL: lists page through in the worst clock's order, a
closed case leaves the board in the commit that closes it, and a database from before the tables (or one a
restart finds them empty in) gets them filled from the ledger on start."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, func, select

from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue.intake import CaseClosed
from jiesu_shared.store import Database, OutboxEntry

from jiesu_dispatch.adapters.tables import BoardCaseRow, BoardDepartmentRow, BoardDetailRow, BoardVersionRow
from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings
from tests.integration.test_dispatch_board import counts, listed
from tests.integration.test_dispatch_http import START, WANG, Clock, deliver, received, return_task
from tests.support.waiting import eventually


def dispatch_on(database: Database, tmp_path: Path, clock: Clock) -> TestClient:
    settings = DispatchSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                                database_url=database.url, admin_token="admin-secret",
                                staff=[{"id": "wang.li", "token": "wang-secret", "roles": ["coordinator"]}],
                                timer_recheck_seconds=3600)
    return TestClient(build_app(settings, clock=clock), headers=WANG)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(database: Database, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with dispatch_on(database, tmp_path, clock) as test_client:
        yield test_client


def page(client: TestClient, name: str, **params: object) -> dict:
    answer = client.get("/board/cases", params={"list": name, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_list_pages_through_its_cases_earliest_deadline_first(client: TestClient, clock: Clock) -> None:
    early = [received(client) for _ in range(3)]  # offered at START: two hours to decide
    clock.now = START + timedelta(minutes=40)
    late = [received(client) for _ in range(2)]  # offered 40 minutes later
    clock.now = START + timedelta(minutes=100)  # early: 83 % of the window gone; late: 50 %
    assert counts(client)["deadline-76-85"] == 3 and counts(client)["deadline-50-75"] == 2
    first, second, third = (page(client, "state-open", limit=2, offset=offset) for offset in (0, 2, 4))
    assert [first["total"], first["truncated"], third["truncated"]] == [5, True, False]
    seen = [i["case_id"] for p in (first, second, third) for i in p["items"]]
    assert set(seen[:3]) == set(early) and set(seen[3:]) == set(late)
    assert [i["worst_clock"]["elapsed"] for i in first["items"]] == [0.8333, 0.8333]


def test_filters_by_department_and_a_closed_case_leaves_the_board(client: TestClient) -> None:
    kept, closed = received(client), received(client)
    return_task(client, kept, "urban-management")  # the lead returns it: someone else leads now
    assert counts(client, department="housing")["state-open"] == 2
    assert [i["case_id"] for i in listed(client, "returned-24h", department="housing")] == [kept]
    deliver(client, CaseClosed(case_id=closed, closed_at=START + timedelta(hours=1), outcome="resolved_satisfied"))
    assert counts(client)["state-open"] == 1 and page(client, "state-open")["total"] == 1


def read_to_its_end(database: Database, log_path: Path) -> bool:
    """Dispatch has published what it wrote, and read the log to its end: nothing of the set-up is still on its
    way back to it, to wake its timers once the clock has moved (its committed positions trail its reads)."""
    with database.reading() as session:
        unpublished = session.exec(select(func.count()).select_from(OutboxEntry)).one()
    with closing(sqlite3.connect(log_path)) as log:
        end = log.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = 'cases'").fetchone()[0]
        read = [n for (n,) in log.execute("SELECT next_offset FROM group_offsets WHERE topic = 'cases'")]
    return unpublished == 0 and bool(read) and all(n == end for n in read)


def test_a_database_from_before_the_board_gets_it_filled_from_the_ledger(
        database: Database, tmp_path: Path, clock: Clock) -> None:
    with dispatch_on(database, tmp_path, clock) as first:
        cases = [received(first) for _ in range(3)]
        return_task(first, cases[0], "urban-management")
        eventually(lambda: read_to_its_end(database, tmp_path / "log.sqlite3"), what="dispatch to read its own events")
        clock.now = START + timedelta(minutes=110)
        before = counts(first), page(first, "state-open")["items"]
    SQLModel.metadata.drop_all(database.engine, tables=[t.__table__ for t in (  # type: ignore[attr-defined]
        BoardCaseRow, BoardDepartmentRow, BoardDetailRow, BoardVersionRow)])
    with dispatch_on(database, tmp_path, clock) as restarted:
        assert (counts(restarted), page(restarted, "state-open")["items"]) == before
        assert before[0]["state-open"] == 3 and before[0]["returned-24h"] == 1


def test_the_worst_running_clock_decides_the_deadline_bucket(client: TestClient, clock: Clock) -> None:
    case_id = received(client)  # the lead and a supporting department, each with two hours to decide
    lead = next(t for t in client.get(f"/cases/{case_id}").json()["tasks"] if t["role"] == "lead")
    deliver(client, g.TaskAccepted(task_id=lead["task_id"], case_id=case_id, department_id=lead["department_id"],
                                   accepted_at=START + timedelta(minutes=10)))
    clock.now = START + timedelta(minutes=100)  # the supporting one's decide clock: 83 % gone; the lead's: 7 %
    assert counts(client)["deadline-76-85"] == 1
    [item] = listed(client, "deadline-76-85")
    assert (item["worst_clock"]["clock"], item["worst_clock"]["department_id"]) == ("decide", "housing")
    clock.now = START + timedelta(hours=3)
    assert counts(client)["deadline-breached"] == 1
