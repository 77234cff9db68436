"""What the coordinators' and departments' journeys share: a case recorded over intake's API, a department's
task found (waiting with a deadline) and acted on over the gateway's API, as the other party in the story."""
from __future__ import annotations

from typing import Any

import httpx

from tests.browser.stack import ConsoleStack
from tests.support.waiting import eventually


def record_case(stack: ConsoleStack, text: str, street: str = "交道口街道") -> str:
    answer = httpx.post(f"{stack.urls['intake']}/cases", headers=stack.as_role("intake"),
                        json={"text": text, "place": {"district": "东城区", "street": street}})
    answer.raise_for_status()
    return answer.json()["case_id"]


def task_of(stack: ConsoleStack, department: str, case_id: str, status: str = "offered",
            kind: str | None = None) -> dict[str, Any]:
    key = stack.department(department)

    def probe() -> dict[str, Any] | None:
        tasks = httpx.get(f"{stack.urls['gateway']}/tasks", params={"case_id": case_id, "status": status},
                          headers={"authorization": f"Bearer {key}"}).json()["tasks"]
        return next((t for t in tasks if kind is None or t["kind"] == kind), None)

    return eventually(probe, timeout=60, what=f"a task {status} to {department} on case {case_id}")


def act(stack: ConsoleStack, department: str, task_id: str, action: str, body: dict | None = None) -> None:
    httpx.post(f"{stack.urls['gateway']}/tasks/{task_id}/{action}", json=body,
               headers={"authorization": f"Bearer {stack.department(department)}"}).raise_for_status()


def dispatch_case(stack: ConsoleStack, case_id: str) -> dict[str, Any]:
    return httpx.get(f"{stack.urls['dispatch']}/cases/{case_id}", headers=stack.as_role("coordinator")).json()


def lead_offered(stack: ConsoleStack, case_id: str, other_than: str) -> str:
    """The department the case was offered to next, as lead, after `other_than` returned it."""
    def probe() -> str | None:
        case = httpx.get(f"{stack.urls['dispatch']}/cases/{case_id}", headers=stack.as_role("coordinator"))
        if case.status_code != 200:
            return None
        leads = [t for t in case.json()["tasks"] if t["role"] == "lead" and t["kind"] == "case"
                 and t["status"] == "offered" and t["department_id"] != other_than]
        return leads[0]["department_id"] if leads else None

    return eventually(probe, timeout=60, what=f"case {case_id} offered to a new lead")
