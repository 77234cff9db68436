"""The journey both container topologies prove: a citizen's case posted to intake reaches the departments'
container as signed webhooks (it verifies them before acting) and comes back into audit's timeline."""
from __future__ import annotations

import time

import httpx

from tests.support.staff import as_role
from tests.support.waiting import eventually

DEPARTMENTS = ("property-firm", "housing")  # the lead and the supporting department of such a case


def register_departments(gateway_url: str, admin_token: str, webhooks_at: str) -> dict[str, dict[str, str]]:
    """Register the departments at the gateway as the administrator, webhooks to `webhooks_at`/webhooks/<id>;
    each one's API key and signing secret, as the reference department's container takes them."""
    credentials = {}
    for department in DEPARTMENTS:
        registered = httpx.post(f"{gateway_url}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                                json={"department_id": department, "name": department.title(),
                                      "webhook_url": f"{webhooks_at}/webhooks/{department}"})
        assert registered.status_code == 201, registered.text
        credentials[department] = {k: registered.json()[k] for k in ("api_key", "webhook_secret")}
    return credentials


def a_case_through_to_audit(intake_url: str, audit_url: str, case: dict, timeout: float) -> tuple[str, list[dict]]:
    """The case's id and audit's timeline of it, once both departments' webhooks are acknowledged and the lead
    department has accepted and completed it."""
    started = time.monotonic()
    created = httpx.post(f"{intake_url}/cases", json=case, headers=as_role("intake"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    def timeline() -> list[dict] | None:
        answer = httpx.get(f"{audit_url}/cases/{case_id}/timeline", headers=as_role("coordinator"))
        events = answer.json()["events"] if answer.status_code == 200 else []
        done = {(e["type"], e["department"]) for e in events}
        # each department's acknowledged webhook is recorded on its own time, not before the lead's acceptance
        wanted = {("task.accepted.v1", "property-firm"), ("task.completed.v1", "property-firm")} \
            | {("task.notified.v1", department) for department in DEPARTMENTS}
        return events if wanted <= done else None

    events = eventually(timeline, timeout=timeout, interval=0.5,
                        what="the department's acceptance and completion in audit")
    print(f"case {case_id}: intake -> signed webhook -> the department's container -> audit in "
          f"{time.monotonic() - started:.1f} s")
    assert [e["type"] for e in events][:2] == ["case.received.v1", "case.dispatched.v1"]
    # the webhook reached the department's container (2xx), which verified its signature before acting on it
    assert {e["department"] for e in events if e["type"] == "task.notified.v1"} == set(DEPARTMENTS)  # no other
    accepted = next(e for e in events if e["type"] == "task.accepted.v1" and e["department"] == "property-firm")
    assert accepted["actor"] != "system"
    return case_id, events
