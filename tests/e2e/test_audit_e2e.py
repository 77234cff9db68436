"""Audit end to end: a real case returned once (退单) and then handled, produced by the real services as
separate processes; audit's timeline, delays and hand-over network tell its story, and the replay
command turns the very same embedded log into de-identified research exports."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Deployment
from tests.support.waiting import eventually
from tests.support.staff import as_role

PHONE = "13912345678"


def task(deployment: Deployment, key: str, case_id: str) -> dict:
    def probe() -> dict | None:
        listed = httpx.get(f"{deployment.urls['gateway']}/tasks", params={"case_id": case_id, "status": "offered"},
                           headers={"authorization": f"Bearer {key}"}).json()["tasks"]
        return next((t for t in listed if t["kind"] == "case"), None)

    return eventually(probe, timeout=60, what="an offered task")


def act(deployment: Deployment, key: str, task_id: str, action: str, body: dict | None = None) -> None:
    response = httpx.post(f"{deployment.urls['gateway']}/tasks/{task_id}/{action}", json=body,
                          headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text


def audit(deployment: Deployment, path: str, **params: str) -> dict:
    response = httpx.get(f"{deployment.urls['audit']}{path}", params=params, headers=as_role("coordinator"))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("bus_kind", ["embedded"])
def test_a_returned_case_in_the_audit_and_in_the_research_export(deployment: Deployment, tmp_path: Path,
                                                                 unique: str) -> None:
    keys = {d: deployment.register(d) for d in ("urban-management", "street-office", "housing")}
    created = httpx.post(f"{deployment.urls['intake']}/cases", headers=as_role("intake"), json={
        "text": f"小区里有人私搭乱建，请回电 {PHONE}", "channel": "hotline", "category": "illegal_construction",
        "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing"}})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    first = task(deployment, keys["urban-management"], case_id)
    act(deployment, keys["urban-management"], first["task_id"], "return",
        {"reason": "wrong_jurisdiction", "suggested_department": "street-office"})
    lead = task(deployment, keys["street-office"], case_id)
    for action, body in (("accept", None), ("respond", {"note": "called back"}), ("complete", {"resolution": "removed"})):
        act(deployment, keys["street-office"], lead["task_id"], action, body)
    supporting = task(deployment, keys["housing"], case_id)
    act(deployment, keys["housing"], supporting["task_id"], "accept")
    act(deployment, keys["housing"], supporting["task_id"], "complete", {"resolution": "permit checked"})

    def handled() -> dict | None:
        found = httpx.get(f"{deployment.urls['audit']}/cases/{case_id}/timeline", headers=as_role("coordinator")).json()
        return found if any(e["type"] == "case.handled.v1" for e in found.get("events", [])) else None

    timeline = eventually(handled, timeout=60, what="case.handled.v1 in the audit timeline")
    intervals = timeline["intervals"]
    assert [(r["from"], r["to"], r["reason"]) for r in intervals["returns"]] == [
        ("urban-management", "street-office", "wrong_jurisdiction")]
    assert intervals["returns"][0]["cost_seconds"] > 0
    assert intervals["flying_seconds"] > 0 and intervals["flying_now"] is False
    assert intervals["accepted_to_first_contact_seconds"] >= 0 and intervals["accepted_to_completed_seconds"] >= 0
    returned = next(e for e in timeline["events"] if e["type"] == "task.returned.v2")
    assert (returned["actor"], returned["department"]) == ("urban-management", "urban-management")

    rows = {r["department"]: r for r in audit(deployment, "/analytics/departments")["rows"]}
    assert (rows["urban-management"]["returned"], rows["urban-management"]["return_rate"]) == (1, 1.0)
    assert rows["urban-management"]["returns_by_reason"] == {"wrong_jurisdiction": 1}
    assert rows["street-office"]["accepted"] == 1 and rows["street-office"]["time_to_respond_seconds"]["count"] == 1
    edges = audit(deployment, "/analytics/handovers")["edges"]
    assert [(e["from"], e["to"], e["returns"]) for e in edges] == [("urban-management", "street-office", 1)]

    done = subprocess.run([sys.executable, "-m", "jiesu_audit", "replay", "--embedded", str(tmp_path / "log.sqlite3"),
                           "--topic", f"e2e.cases.{unique}", "--out", str(tmp_path / "export"), "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["cases"], summary["poison"]["count"]) == (1, 0)
    exported = [json.loads(line) for line in (tmp_path / "export" / "events.jsonl").read_text().splitlines()]
    case_events = [e for e in exported if e["subject"] == case_id]
    assert [e["id"] for e in case_events][:len(timeline["events"])] == [e["event_id"] for e in timeline["events"]]
    assert PHONE not in (tmp_path / "export" / "events.jsonl").read_text()
    assert PHONE not in (tmp_path / "export" / "events.xes").read_text()
