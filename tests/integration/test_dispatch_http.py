"""Dispatch's HTTP API in process on the embedded log: coordinators' commands, the directory and routing
administration, meetings; every bad command answers problem+json and appends nothing."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseClosed, CaseReceived
from jiesu_shared.events import Envelope, utc_now
from jiesu_shared.store.tables import StoredEvent

from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings

ADMIN = {"Authorization": "Bearer admin-secret"}
WANG = {"Authorization": "Bearer wang-secret"}
START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


class Clock:
    now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = DispatchSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                                database_url=f"sqlite:///{tmp_path}/dispatch.sqlite3", admin_token="admin-secret",
                                staff=[{"id": "wang.li", "token": "wang-secret", "roles": ["coordinator"]}],
                                timer_recheck_seconds=3600)
    with TestClient(build_app(settings, clock=clock), headers=WANG) as test_client:  # reads as a coordinator
        yield test_client


def deliver(client: TestClient, fact) -> None:  # type: ignore[no-untyped-def]
    """Hand dispatch a consumed event as its consumer would (the log's delivery is covered end to end)."""
    service = client.app.state.service  # type: ignore[attr-defined]
    envelope = Envelope(id=str(uuid.uuid4()), source="/jiesu/test", type=fact.__event_type__, subject=fact.case_id,
                        time=utc_now(), sequence=1, correlationid=str(uuid.uuid4()), data=fact.model_dump(mode="json"))
    with service.database.transaction() as session:
        service.bus.consume(session, envelope, fact)


def received(client: TestClient, category: str = "illegal_construction") -> str:
    case_id = str(uuid.uuid4())
    deliver(client, CaseReceived(case_id=case_id, channel="hotline", text="违章搭建 illegal shed", category=category,
                                 place=Place(district="Dongcheng", street="Jingshan"), received_at=START))
    return case_id


def event_count(client: TestClient) -> int:
    with client.app.state.service.database.transaction() as session:  # type: ignore[attr-defined]
        return session.exec(select(func.count()).select_from(StoredEvent)).one()


def refused(response, status: int, slug: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status
    return body


def return_task(client: TestClient, case_id: str, department: str) -> None:
    task = next(t for t in client.get(f"/cases/{case_id}").json()["tasks"]
                if t["department_id"] == department and t["status"] == "offered" and t["role"] == "lead")
    deliver(client, g.TaskReturned(task_id=task["task_id"], case_id=case_id, department_id=department,
                                   reason="not_our_remit", returned_at=START))


def test_a_received_case_shows_its_lead_supporting_and_deadlines(client: TestClient) -> None:
    case_id = received(client)
    case = client.get(f"/cases/{case_id}").json()
    assert case["lead_department"] == "urban-management" and case["offered_to"] == ["urban-management", "housing"]
    assert case["rule"] == "2026-11-default/construction" and case["status"] == "open"
    refused(client.get(f"/cases/{uuid.uuid4()}"), 404, "not-found")


def test_coordinator_commands_need_credentials(client: TestClient) -> None:
    case_id = received(client)
    body = {"lead_department": "housing", "reason": "x"}
    refused(client.post(f"/cases/{case_id}/dispatch", json=body, headers={"Authorization": ""}), 401, "unauthorized")
    refused(client.post(f"/cases/{case_id}/dispatch", json=body, headers={"Authorization": "Bearer nope"}),
            401, "unauthorized")
    refused(client.post("/admin/departments", headers=WANG,
                        json={"department_id": "x-y", "name": "X", "kind": "community"}), 403, "forbidden")


def test_bad_commands_answer_problems_and_append_nothing(client: TestClient) -> None:
    case_id = received(client)
    return_task(client, case_id, "urban-management")
    return_task(client, case_id, "street-office")  # returned twice: escalated
    assert client.get(f"/cases/{case_id}").json()["status"] == "escalated"
    awaiting = client.get("/cases", params={"status": "escalated"}).json()
    assert [(c["case_id"], c["return_count"]) for c in awaiting] == [(case_id, 2)]
    before = event_count(client)

    unknown = refused(client.post(f"/cases/{case_id}/ruling", headers=WANG,
                                  json={"lead_department": "ministry-of-magic", "reason": "x"}), 422, "unknown-department")
    assert unknown["unknown_departments"] == ["ministry-of-magic"]
    returned = refused(client.post(f"/cases/{case_id}/ruling", headers=WANG,
                                   json={"lead_department": "street-office", "reason": "x"}), 409, "returned-before")
    assert returned["returned_by"] == ["street-office"]
    refused(client.post(f"/cases/{uuid.uuid4()}/whistle", headers=WANG,
                        json={"street_office": "street-office", "summoned": ["housing"], "reason": "x"}),
            404, "case-not-found")
    refused(client.post(f"/cases/{case_id}/dispatch", headers=WANG, json={"lead_department": ""}), 422,
            "validation-error")
    assert event_count(client) == before

    ruled = client.post(f"/cases/{case_id}/ruling", headers=WANG,
                        json={"lead_department": "street-office", "reason": "审定: street's remit",
                              "override_returns": True})
    assert ruled.status_code == 200 and ruled.json()["rule"] == "ruling" and ruled.json()["status"] == "open"
    assert client.get("/cases", params={"status": "escalated"}).json() == []


def test_no_whistle_on_a_closed_case(client: TestClient) -> None:
    case_id = received(client)
    deliver(client, CaseClosed(case_id=case_id, outcome=None, closed_at=START))
    before = event_count(client)
    refused(client.post(f"/cases/{case_id}/whistle", headers=WANG,
                        json={"street_office": "street-office", "summoned": ["fire-safety"], "reason": "x"}),
            409, "case-closed")
    assert event_count(client) == before
    assert all(t["status"] == "cancelled" for t in client.get(f"/cases/{case_id}").json()["tasks"])


def test_the_directory_and_routing_rules_are_administered_and_take_effect(client: TestClient) -> None:
    added = client.post("/admin/departments", headers=ADMIN,
                        json={"department_id": "market-regulation", "name": "市场监管所", "kind": "government_department",
                              "areas": ["Dongcheng"]})
    assert added.status_code == 201 and added.json()["registered_by"] == "admin"
    assert [d["department_id"] for d in client.get("/directory/departments").json()] == ["market-regulation"]
    table = {"version": "2026-12", "rules": [{"id": "noise", "category": "noise", "lead": "market-regulation"}],
             "fallback": {"id": "street", "lead": "street-office"}}
    before = event_count(client)
    refused(client.put("/admin/routing-rules", headers=ADMIN, json={**table, "fallback": {"id": "f", "lead": "ghost"}}),
            422, "unknown-department")
    refused(client.put("/admin/routing-rules", headers=ADMIN, json={"version": "x"}), 422, "invalid-routing-table")
    assert event_count(client) == before
    before_publishing = datetime.now(UTC)
    assert client.put("/admin/routing-rules", headers=ADMIN, json=table).status_code == 200
    assert client.get("/routing-rules").json()["version"] == "2026-12"
    then = client.get("/routing-rules", params={"at": before_publishing.isoformat()}).json()
    assert then["version"] == "2026-11-default" and then["published_by"] is None  # the rules in force back then
    case_id = received(client, "noise")
    assert client.get(f"/cases/{case_id}").json()["rule"] == "2026-12/noise"


def test_a_meeting_shows_each_decision_task_and_its_overdue_ones(client: TestClient, clock: Clock) -> None:
    case_id = received(client)
    body = {"participants": ["housing", "fire-safety"], "case_ids": [case_id], "scheduled_at": START.isoformat()}
    before = event_count(client)
    missing = refused(client.post("/meetings", headers=WANG, json=body), 422, "validation-error")
    assert [e["field"] for e in missing["errors"]] == ["street_office"]  # a coordinator says which unit convenes
    unknown = refused(client.post("/meetings", headers=WANG, json={**body, "street_office": "ghost-street"}), 422,
                      "unknown-department")
    assert unknown["unknown_departments"] == ["ghost-street"] and event_count(client) == before
    meeting = client.post("/meetings", headers=WANG, json={**body, "street_office": "street-office"})
    assert meeting.status_code == 201, meeting.text
    assert (meeting.json()["street_office"], meeting.json()["convened_by"]) == ("street-office", "wang.li")
    meeting_id = meeting.json()["meeting_id"]
    for owner, days in (("housing", 1), ("fire-safety", 3)):
        decided = client.post(f"/meetings/{meeting_id}/decisions", headers=WANG,
                              json={"case_id": case_id, "text": f"{owner} acts", "owner_department": owner,
                                    "deadline": (START + timedelta(days=days)).isoformat()})
        assert decided.status_code == 201 and decided.json()["task_status"] == "offered"
    refused(client.post(f"/meetings/{meeting_id}/decisions", headers=WANG,
                        json={"case_id": case_id, "text": "x", "owner_department": "ghost",
                              "deadline": (START + timedelta(days=1)).isoformat()}), 422, "unknown-department")
    clock.now = START + timedelta(days=2)
    view = client.get(f"/meetings/{meeting_id}").json()
    assert [(d["owner_department"], d["overdue"]) for d in view["decisions"]] == [("housing", True),
                                                                                   ("fire-safety", False)]
    assert view["overdue_count"] == 1 and [m["meeting_id"] for m in client.get("/meetings").json()["meetings"]] == [meeting_id]
    adjourned = client.post(f"/meetings/{meeting_id}/adjourn", headers=WANG,
                            json={"carry_over_to": (START + timedelta(days=7)).isoformat()}).json()
    follow_up = client.get(f"/meetings/{adjourned['carried_over_to']}").json()
    assert adjourned["status"] == "adjourned" and follow_up["carried_over_from"] == meeting_id
    assert (follow_up["street_office"], follow_up["convened_by"]) == ("street-office", "wang.li")
    assert {d["owner_department"] for d in follow_up["decisions"]} == {"housing", "fire-safety"}
    refused(client.post(f"/meetings/{meeting_id}/adjourn", headers=WANG, json={}), 409, "meeting-adjourned")


def test_a_retried_whistle_with_its_idempotency_key_blows_once(client: TestClient) -> None:
    case_id = received(client)
    body = {"street_office": "street-office", "summoned": ["fire-safety", "housing"], "reason": "blocked fire lane"}
    key = {**WANG, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post(f"/cases/{case_id}/whistle", headers=key, json=body)
    after_first = event_count(client)
    again = client.post(f"/cases/{case_id}/whistle", headers=key, json=body)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert set(first.json()["tasks"]) == {"fire-safety", "housing"}
    assert event_count(client) == after_first  # no second whistle
    refused(client.post(f"/cases/{case_id}/whistle", headers=key, json={**body, "summoned": ["housing"]}),
            422, "idempotency-key-reused")
    whistles = [t for t in client.get(f"/cases/{case_id}").json()["tasks"] if t["kind"] == "whistle_report_in"]
    assert len(whistles) == 2


def test_a_coordinator_releases_a_supporting_department_and_the_case_is_handled(client: TestClient) -> None:
    case_id = received(client)
    tasks = {t["department_id"]: t["task_id"] for t in client.get(f"/cases/{case_id}").json()["tasks"]}
    deliver(client, g.TaskCompleted(task_id=tasks["urban-management"], case_id=case_id,
                                    department_id="urban-management", resolution="shed removed", completed_at=START))
    refused(client.post(f"/cases/{case_id}/tasks/{tasks['urban-management']}/release", headers=WANG,
                        json={"reason": "x"}), 409, "not-releasable")
    released = client.post(f"/cases/{case_id}/tasks/{tasks['housing']}/release", headers=WANG,
                           json={"reason": "no permit question after all"})
    assert released.status_code == 200 and released.json()["status"] == "handled"
