"""A department's whole journey with a case, across the real processes on both logs: offered over a
signed webhook (and visible by polling), accepted with a retried request, responded, worked,
completed — and the audit timeline shows each answer once, in order, caused by the offer."""
from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import Deployment
from tests.e2e.test_walking_skeleton import CASE, timeline
from tests.support.waiting import eventually
from tests.support.staff import as_role


def test_a_department_handles_its_task_from_offer_to_completion(deployment: Deployment) -> None:
    gateway = deployment.urls["gateway"]
    firm = {"authorization": f"Bearer {deployment.register('property-firm')}"}
    housing = {"authorization": f"Bearer {deployment.register('housing')}"}
    case_id = httpx.post(f"{deployment.urls['intake']}/cases", json=CASE, headers=as_role("intake")).json()["case_id"]

    (offer,) = eventually(lambda: deployment.receiver.for_department("property-firm"), what="the offer webhook")
    assert offer.verified and offer.body["type"] == "task.offered"
    task_id = offer.body["data"]["task_id"]
    polled = httpx.get(f"{gateway}/tasks", params={"status": "offered"}, headers=firm).json()["tasks"]
    assert [t["task_id"] for t in polled] == [task_id]  # a department without a webhook would find it so

    retried = {**firm, "Idempotency-Key": str(uuid.uuid4())}
    first = httpx.post(f"{gateway}/tasks/{task_id}/accept", headers=retried)
    again = httpx.post(f"{gateway}/tasks/{task_id}/accept", headers=retried)  # e.g. the answer was lost
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert httpx.post(f"{gateway}/tasks/{task_id}/complete", headers=housing,
                      json={"resolution": "not mine"}).status_code == 404
    for action, body in (("respond", {"note": "called the resident"}),
                         ("progress", {"note": "plumber booked", "attachments": ["https://files.example/1.jpg"]}),
                         ("complete", {"resolution": "pipe replaced, ceiling dried"})):
        response = httpx.post(f"{gateway}/tasks/{task_id}/{action}", headers=firm, json=body)
        assert response.status_code == 200, response.text
    assert httpx.get(f"{gateway}/tasks/{task_id}", headers=firm).json()["status"] == "completed"

    events = timeline(deployment, case_id, "task.completed.v1")
    answers = [e for e in events if e["data"].get("task_id") == task_id and e["type"] != "task.notified.v1"]
    assert [e["type"] for e in answers] == ["task.offered.v1", "task.accepted.v1", "task.responded.v1",
                                           "task.progress_reported.v1", "task.completed.v1"]
    offered_id = answers[0]["event_id"]
    assert all(e["causation_id"] == offered_id for e in answers[1:])  # audit can follow each answer to its offer
    assert answers[-1]["data"]["resolution"] == "pipe replaced, ceiling dried"
