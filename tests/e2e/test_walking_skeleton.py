"""One case through intake → dispatch → agency-gateway → department → audit, each its own process,
on the embedded log and on a real Kafka broker."""
from __future__ import annotations

import json

import httpx

from tests.e2e.conftest import Deployment
from tests.support.waiting import eventually
from tests.support.staff import as_role

CASE = {"text": "楼上漏水三天了，物业不管 / water has leaked from upstairs for three days",
        "channel": "hotline", "category": "property_management",
        "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing"}}


def timeline(deployment: Deployment, case_id: str, until_type: str) -> list[dict]:
    def probe() -> list[dict] | None:
        response = httpx.get(f"{deployment.urls['audit']}/cases/{case_id}/timeline", headers=as_role("coordinator"))
        events = response.json()["events"] if response.status_code == 200 else []
        return events if any(e["type"] == until_type for e in events) else None

    return eventually(probe, timeout=30, what=f"{until_type} in the audit timeline")


def spans(deployment: Deployment, trace_id: str) -> set[tuple[str, str]]:
    found = set()
    for path in deployment.trace_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            span = json.loads(line)
            if span["trace_id"] == trace_id:
                found.add((span["service"], span["name"]))
    return found


def test_a_case_flows_through_all_four_services(deployment: Deployment) -> None:
    firm_key = deployment.register("property-firm")
    housing_key = deployment.register("housing")

    created = httpx.post(f"{deployment.urls['intake']}/cases", json=CASE, headers=as_role("intake"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    trace_id = created.headers["traceparent"].split("-")[1]

    # Each department's webhook receives its signed offer (verified with the reference library).
    offers = {}
    for department, role in (("property-firm", "lead"), ("housing", "supporting")):
        (delivery,) = eventually(lambda d=department: deployment.receiver.for_department(d),
                                 what=f"the offer to {department}")
        assert delivery.verified, "signature must verify per Standard Webhooks"
        assert delivery.body["type"] == "task.offered"
        assert delivery.body["data"]["case_id"] == case_id and delivery.body["data"]["role"] == role
        assert delivery.headers["webhook-id"] and delivery.headers["traceparent"].split("-")[1] == trace_id
        offers[department] = delivery

    # The lead department accepts its task; the other department cannot touch it.
    task_id = offers["property-firm"].body["data"]["task_id"]
    foreign = httpx.post(f"{deployment.urls['gateway']}/tasks/{task_id}/accept",
                         headers={"authorization": f"Bearer {housing_key}"})
    assert foreign.status_code == 404
    accepted = httpx.post(f"{deployment.urls['gateway']}/tasks/{task_id}/accept",
                          headers={"authorization": f"Bearer {firm_key}"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = httpx.post(f"{deployment.urls['gateway']}/tasks/{task_id}/accept",
                       headers={"authorization": f"Bearer {firm_key}"})
    assert again.status_code == 409 and again.json()["task_status"] == "accepted"

    # Audit shows the whole story, in order, with times and causes.
    events = timeline(deployment, case_id, "task.accepted.v1")
    types = [e["type"] for e in events]
    assert types[:4] == ["case.received.v1", "case.dispatched.v1", "task.offered.v1", "task.offered.v1"]
    assert sorted(types[4:]) == ["task.accepted.v1", "task.notified.v1", "task.notified.v1"]
    assert types.index("task.accepted.v1") > min(i for i, t in enumerate(types) if t == "task.notified.v1")
    by_type = {e["type"]: e for e in events}
    assert by_type["case.dispatched.v1"]["causation_id"] == by_type["case.received.v1"]["event_id"]
    assert by_type["task.accepted.v1"]["causation_id"] == offers["property-firm"].headers["webhook-id"]
    assert by_type["case.dispatched.v1"]["data"]["lead_department"] == "property-firm"
    times = [e["time"] for e in events]
    assert times == sorted(times)
    assert all(e["since_previous_seconds"] >= 0 for e in events[1:])
    assert len({e["event_id"] for e in events}) == len(events)  # nothing twice

    # One trace follows the case from intake's HTTP request through the log to the webhook call. Spans reach
    # their files in batches, so wait for every hop. (Audit applies the log in bulk stretches, not event by
    # event, and opens no span per event.)
    hops = {("jiesu-intake", "POST /cases"), ("jiesu-dispatch", "consume case.received.v1"),
            ("jiesu-gateway", "consume task.offered.v1"), ("jiesu-gateway", "webhook task.offered")}
    eventually(lambda: hops <= set(spans(deployment, trace_id)), what="the trace through every hop")
