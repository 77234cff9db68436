"""Returning a task (退单) through the gateway: `POST /tasks/{id}/return` is the route; `POST /tasks/{id}/reject`,
which departments integrated before the rename call, still works as its deprecated alias and says so on every
answer; the old status name still filters; task rows an older gateway stored as `rejected` read as `returned`."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from jiesu_shared.catalogue.dispatch import TaskCancelled

from jiesu_gateway.adapters.tables import Task
from jiesu_gateway.bootstrap import build_app
from tests.integration.gateway_harness import FakeClock, Log, bearer, gateway_settings, offer, register, stored_events
from tests.integration.test_gateway_task_api import Gateway, assert_problem, start_gateway
from tests.support.waiting import eventually

BODY = {"reason": "wrong_jurisdiction", "note": "the street's job", "suggested_department": "street-office"}


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    yield from start_gateway(tmp_path)


def successor_headers(task_id: str) -> dict[str, str]:
    return {"deprecation": "true", "link": f'</tasks/{task_id}/return>; rel="successor-version"'}


def marks(response) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {name: response.headers.get(name) for name in ("deprecation", "link")}


def test_the_deprecated_reject_route_returns_the_task_and_names_its_successor(gateway: Gateway) -> None:
    key, task_id = gateway.keys["housing"], gateway.tasks["case"]
    answer = gateway.call("POST", "/tasks/{id}/reject", "case", BODY, key=key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "returned"
    assert marks(answer) == successor_headers(task_id)
    (returned,) = [d for t, d in stored_events(gateway.client) if t == "task.returned.v2"]
    assert {k: returned[k] for k in BODY} == BODY and returned["department_id"] == "housing"
    # Its refusals say so too: a second return, another department's task, no credential, a bad body.
    again = gateway.call("POST", "/tasks/{id}/reject", "case", BODY, key=key)
    assert assert_problem(again, 409, "invalid-transition")["task_status"] == "returned"
    foreign = gateway.call("POST", "/tasks/{id}/reject", "case", BODY, key=gateway.keys["fire-safety"])
    anonymous = gateway.call("POST", "/tasks/{id}/reject", "case", BODY)
    invalid = gateway.call("POST", "/tasks/{id}/reject", "case", {"reason": "too_busy"}, key=key)
    assert [r.status_code for r in (foreign, anonymous, invalid)] == [404, 401, 422]
    for response in (again, foreign, anonymous, invalid):
        assert marks(response) == successor_headers(task_id)
    assert len(stored_events(gateway.client)) == 1


def test_the_return_route_is_not_deprecated_and_both_share_one_contract(gateway: Gateway) -> None:
    answer = gateway.call("POST", "/tasks/{id}/return", "case", BODY, key=gateway.keys["housing"])
    assert answer.status_code == 200 and answer.json()["status"] == "returned"
    assert marks(answer) == {"deprecation": None, "link": None}
    paths = gateway.client.get("/openapi.json").json()["paths"]
    new, old = paths["/tasks/{task_id}/return"]["post"], paths["/tasks/{task_id}/reject"]["post"]
    assert (new["operationId"], new.get("deprecated", False)) == ("returnTask", False)
    assert (old["operationId"], old["deprecated"]) == ("rejectTask", True)
    assert old["requestBody"] == new["requestBody"] and old["responses"] == new["responses"]
    assert "/tasks/{task_id}/return" in old["description"]


def test_returned_tasks_are_listed_by_the_new_status_and_the_old_one(gateway: Gateway) -> None:
    key = gateway.keys["housing"]
    assert gateway.call("POST", "/tasks/{id}/return", "case", BODY, key=key).status_code == 200
    listed = {status: [t["task_id"] for t in gateway.client.get(f"/tasks?status={status}", headers=bearer(key))
                       .json()["tasks"]] for status in ("returned", "rejected", "offered")}
    assert listed == {"returned": [gateway.tasks["case"]], "rejected": [gateway.tasks["case"]],
                      "offered": [gateway.tasks["whistle"]]}


def test_rows_an_older_gateway_stored_as_rejected_read_as_returned_after_a_restart(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path)
    log = Log(Path(settings.embedded_log_path), settings.topic)
    returned, open_task = offer("housing"), offer("housing")
    admin = settings.admin_token.get_secret_value()  # type: ignore[union-attr]
    with TestClient(build_app(settings, clock=FakeClock())) as client:
        key = register(client, admin, "housing")["api_key"]
        log.publish(returned.case_id, returned)
        log.publish(open_task.case_id, open_task)
        eventually(lambda: len(client.get("/tasks", headers=bearer(key)).json()["tasks"]) == 2, what="the offers")
        assert client.post(f"/tasks/{returned.task_id}/return", json=BODY, headers=bearer(key)).status_code == 200
        with client.app.state.kernel.database.transaction() as session:  # type: ignore[attr-defined]
            session.execute(update(Task).where(col(Task.task_id) == returned.task_id).values(status="rejected"))
    with TestClient(build_app(settings, clock=FakeClock())) as client:
        assert client.get(f"/tasks/{returned.task_id}", headers=bearer(key)).json()["status"] == "returned"
        # It behaves as a returned task: a cancellation arriving now leaves it returned (in log order, after
        # which the open task's own cancellation shows both were handled).
        for task in (returned, open_task):
            log.publish(task.case_id, TaskCancelled(task_id=task.task_id, case_id=task.case_id,
                                                    department_id="housing", reason="case withdrawn"))
        eventually(lambda: client.get(f"/tasks/{open_task.task_id}", headers=bearer(key)).json()["status"]
                   == "cancelled", what="the open task's cancellation")
        assert client.get(f"/tasks/{returned.task_id}", headers=bearer(key)).json()["status"] == "returned"
