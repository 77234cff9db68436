"""Dispatch's rules end to end on the real Kafka broker: the four services as separate processes, departments
acting through the agency-gateway's HTTP API, coordinators through dispatch's, the story read back from audit.

- a case returned twice (退单) is escalated and ruled (审定), and the ruled department handles it;
- a whistle (吹哨) where two departments report in on time and one late (a no-show, then late);
- a joint meeting (联席会议) whose three decisions are completed by three departments.
"""
from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import start_services, stop_all
from tests.e2e.conftest import Deployment
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually
from tests.support.staff import as_role, staff_env

DEPARTMENTS = ("urban-management", "housing", "street-office", "fire-safety", "environment")


class Stack(Deployment):
    keys: dict[str, str]
    coordinator: dict[str, str]

    def case(self, category: str, text: str) -> str:
        created = httpx.post(f"{self.urls['intake']}/cases", headers=as_role("intake"), json={
            "text": text, "channel": "hotline", "category": category,
            "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing"}})
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        # A coordinator acts on a case dispatch shows them: the log is eventually consistent, so wait for it.
        eventually(lambda: httpx.get(f"{self.urls['dispatch']}/cases/{case_id}", headers=self.coordinator).status_code == 200 or None,
                   timeout=30, what="dispatch to know the case")
        return case_id

    def task(self, department: str, case_id: str, kind: str = "case", status: str = "offered") -> dict:
        def probe() -> dict | None:
            listed = httpx.get(f"{self.urls['gateway']}/tasks", params={"case_id": case_id, "status": status},
                               headers=self.auth(department)).json()["tasks"]
            return next((t for t in listed if t["kind"] == kind), None)

        return eventually(probe, timeout=60, what=f"a {kind} task {status} for {department}")

    def auth(self, department: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys[department]}"}

    def act(self, department: str, task_id: str, action: str, body: dict | None = None) -> dict:
        response = httpx.post(f"{self.urls['gateway']}/tasks/{task_id}/{action}", json=body,
                              headers=self.auth(department))
        assert response.status_code == 200, response.text
        return response.json()

    def dispatch_view(self, case_id: str) -> dict:
        return httpx.get(f"{self.urls['dispatch']}/cases/{case_id}", headers=self.coordinator).json()

    def timeline(self, case_id: str, until: str, count: int = 1) -> list[dict]:
        def probe() -> list[dict] | None:
            response = httpx.get(f"{self.urls['audit']}/cases/{case_id}/timeline", headers=self.coordinator)
            events = response.json()["events"] if response.status_code == 200 else []
            return events if sum(e["type"] == until for e in events) >= count else None

        return eventually(probe, timeout=60, what=f"{count} × {until} in the audit timeline")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Stack]:
    tmp_path: Path = tmp_path_factory.mktemp("dispatch-e2e")
    unique = uuid.uuid4().hex[:12]
    receiver = WebhookReceiver()
    hooks_url = receiver.start()
    admin_token, coordinator_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    coordinators = [{"id": "wang.li", "token": coordinator_token, "roles": ["coordinator"]}]
    env = {"JIESU_BUS": "kafka", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "JIESU_TOPIC": f"e2e.cases.{unique}",
           "JIESU_DEAD_LETTER_TOPIC": f"e2e.dlq.{unique}", "JIESU_CONSUMER_GROUP_PREFIX": f"e2e-{unique}",
           "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
           "JIESU_STAFF": json.dumps([*json.loads(staff_env()["JIESU_STAFF"]), *coordinators]), "JIESU_MAX_RETURNS": "2",
           "JIESU_EMBEDDED_LOG_PATH": str(tmp_path / "unused.sqlite3")}
    try:
        processes = start_services(env, tmp_path)
    except BaseException:
        receiver.stop()
        raise
    try:
        stack = Stack(urls={n: p.url for n, p in processes.items()}, admin_token=admin_token, receiver=receiver,
                      hooks_url=hooks_url, trace_dir=tmp_path / "traces", processes=processes)
        stack.keys = {d: stack.register(d) for d in DEPARTMENTS}
        stack.coordinator = {"authorization": f"Bearer {coordinator_token}"}
        yield stack
    finally:
        stop_all(processes)
        receiver.stop()


def test_a_case_returned_twice_is_escalated_and_ruled(stack: Stack) -> None:
    case_id = stack.case("illegal_construction", "小区里有人私搭乱建 someone built a shed in the yard")
    first = stack.task("urban-management", case_id)
    stack.act("urban-management", first["task_id"], "return",
              {"reason": "wrong_jurisdiction", "note": "the yard is private land", "suggested_department": "street-office"})
    second = stack.task("street-office", case_id)
    assert stack.act("street-office", second["task_id"], "return", {"reason": "not_our_remit"})["status"] == "returned"

    stack.timeline(case_id, "case.escalated.v1")
    view = eventually(lambda: (v := stack.dispatch_view(case_id))["status"] == "escalated" and v, what="escalation")
    assert view["return_count"] == 2 and view["returned_by"] == ["street-office", "urban-management"]

    # Ruling: a department that returned the case needs an explicit override; the ruling then binds.
    body = {"lead_department": "street-office", "supporting_departments": ["housing"],
            "reason": "审定: the shed blocks a public passage, the street leads"}
    refused = httpx.post(f"{stack.urls['dispatch']}/cases/{case_id}/ruling", json=body, headers=stack.coordinator)
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    ruled = httpx.post(f"{stack.urls['dispatch']}/cases/{case_id}/ruling", json={**body, "override_returns": True},
                       headers=stack.coordinator)
    assert ruled.status_code == 200, ruled.text

    bound = stack.task("street-office", case_id)
    assert bound["task_id"] != second["task_id"]
    stack.act("street-office", bound["task_id"], "accept")
    stack.act("street-office", bound["task_id"], "complete", {"resolution": "shed removed with the owners' consent"})
    housing = stack.task("housing", case_id)  # its first offer, kept by the ruling
    stack.act("housing", housing["task_id"], "accept")
    stack.act("housing", housing["task_id"], "complete", {"resolution": "permit checked"})

    events = stack.timeline(case_id, "case.handled.v1")
    types = [e["type"] for e in events]
    assert types.count("case.rerouted.v1") == 1 and types.count("task.returned.v2") == 2
    assert types.index("case.escalated.v1") < types.index("task.completed.v1")
    ruling = [e for e in events if e["type"] == "case.dispatched.v1"][-1]["data"]
    assert (ruling["rule"], ruling["coordinator"], ruling["lead_department"]) == ("ruling", "wang.li", "street-office")
    assert stack.dispatch_view(case_id)["status"] == "handled"


def test_a_whistle_with_one_late_department(stack: Stack) -> None:
    case_id = stack.case("fire_hazard", "楼道堆满杂物 the stairwell is blocked with junk")
    summoned = ["fire-safety", "urban-management", "housing"]
    blown = httpx.post(f"{stack.urls['dispatch']}/cases/{case_id}/whistle", headers=stack.coordinator,
                       json={"street_office": "street-office", "summoned": summoned, "report_in_minutes": 0.3,
                             "reason": "joint enforcement needed"})
    assert blown.status_code == 201, blown.text
    whistle = blown.json()
    report_in_by = datetime.fromisoformat(whistle["report_in_by"])

    for department in ("fire-safety", "urban-management"):
        task = stack.task(department, case_id, kind="whistle_report_in")
        stack.act(department, task["task_id"], "report-in", {"note": "on site"})
    assert datetime.now(UTC) < report_in_by, "the on-time departments must report in before the deadline"

    stack.timeline(case_id, "whistle.no_show.v1")
    late = stack.task("housing", case_id, kind="whistle_report_in")
    stack.act("housing", late["task_id"], "report-in", {"note": "stuck in traffic"})
    events = stack.timeline(case_id, "whistle.reported_in_late.v1")

    no_show_events = [e for e in events if e["type"] == "whistle.no_show.v1"]
    no_shows = [e["data"]["department_id"] for e in no_show_events]
    # the no-show is recorded at the deadline: not before it, and within a few timer rounds after it
    recorded = datetime.fromisoformat(no_show_events[0]["time"].replace("Z", "+00:00"))
    assert timedelta(0) <= recorded - report_in_by < timedelta(seconds=5), recorded - report_in_by
    lateness = [e["data"] for e in events if e["type"] == "whistle.reported_in_late.v1"]
    assert no_shows == ["housing"]
    assert [(x["department_id"], x["whistle_id"]) for x in lateness] == [("housing", whistle["whistle_id"])]
    assert lateness[0]["minutes_late"] > 0
    blown_event = next(e for e in events if e["type"] == "whistle.blown.v1")["data"]
    assert blown_event["summoned"] == summoned and blown_event["blown_by"] == "wang.li"


def test_a_joint_meeting_whose_three_tasks_are_completed_by_three_departments(stack: Stack) -> None:
    case_id = stack.case("noise", "工地夜间施工噪音 night-time construction noise")
    stack.timeline(case_id, "case.dispatched.v1")
    owners = ["urban-management", "environment", "housing"]
    convened = httpx.post(f"{stack.urls['dispatch']}/meetings", headers=stack.coordinator,
                          json={"street_office": "street-office", "participants": owners, "case_ids": [case_id],
                                "scheduled_at": datetime.now(UTC).isoformat()})
    assert convened.status_code == 201, convened.text
    meeting_id = convened.json()["meeting_id"]
    deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    for owner in owners:
        decided = httpx.post(f"{stack.urls['dispatch']}/meetings/{meeting_id}/decisions", headers=stack.coordinator,
                             json={"case_id": case_id, "text": f"{owner}: 限期整改 fix it", "owner_department": owner,
                                   "deadline": deadline})
        assert decided.status_code == 201, decided.text

    for owner in owners:
        task = stack.task(owner, case_id, kind="meeting_decision")
        assert task["offer"]["meeting_id"] == meeting_id
        stack.act(owner, task["task_id"], "accept")
        stack.act(owner, task["task_id"], "complete", {"resolution": f"{owner} done"})

    def all_completed() -> dict | None:
        view = httpx.get(f"{stack.urls['dispatch']}/meetings/{meeting_id}", headers=stack.coordinator).json()
        return view if [d["task_status"] for d in view["decisions"]] == ["completed"] * 3 else None

    view = eventually(all_completed, timeout=60, what="the meeting's three tasks completed")
    assert sorted(d["owner_department"] for d in view["decisions"]) == sorted(owners)
    assert view["overdue_count"] == 0
    assert (view["street_office"], view["convened_by"]) == ("street-office", "wang.li")  # the unit, the person
