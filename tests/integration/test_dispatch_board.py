"""The coordinators' board in dispatch: counts per list, the cases behind each, filters, and who may read it."""
from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.integration.test_dispatch_http import (  # noqa: F401
    START, WANG, Clock, client, clock, received, refused, return_task)


def counts(client: TestClient, **filters: str) -> dict[str, int]:
    answer = client.get("/board", params=filters)
    assert answer.status_code == 200, answer.text
    return answer.json()["counts"]


def listed(client: TestClient, name: str, **filters: str) -> list[dict]:
    answer = client.get("/board/cases", params={"list": name, **filters})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_cases_move_through_the_deadline_buckets_as_the_clock_runs(client: TestClient, clock: Clock) -> None:
    case_id = received(client)  # offered at START; two hours to decide
    assert counts(client)["state-open"] == 1 and counts(client)["deadline-50-75"] == 0
    for minutes, bucket in ((60, "50-75"), (100, "76-85"), (110, "86-95"), (117, "over-95"), (121, "breached")):
        clock.now = START + timedelta(minutes=minutes)
        assert counts(client)[f"deadline-{bucket}"] == 1, (minutes, counts(client))
        [item] = listed(client, f"deadline-{bucket}")
        assert item["case_id"] == case_id and item["worst_clock"]["clock"] == "decide"
        assert item["street"] == "Jingshan"


def test_returns_escalation_and_filters(client: TestClient, clock: Clock) -> None:
    case_id = received(client)
    other = received(client, category="noise")
    return_task(client, case_id, "urban-management")
    assert [i["case_id"] for i in listed(client, "returned-24h")] == [case_id]
    return_task(client, case_id, "street-office")
    [ruling] = listed(client, "ruling")
    assert ruling["case_id"] == case_id
    assert [r["department_id"] for r in ruling["returns"]] == ["urban-management", "street-office"]
    assert counts(client, subject="noise")["ruling"] == 0 and counts(client, subject="noise")["state-open"] == 1
    assert counts(client, street="Elsewhere")["state-open"] == 0
    assert other in [i["case_id"] for i in listed(client, "state-open", subject="noise")]
    clock.now = START + timedelta(hours=25)
    assert counts(client)["returned-24h"] == 0


def test_whistles_count_down_and_show_no_shows(client: TestClient, clock: Clock) -> None:
    case_id = received(client)
    client.post(f"/cases/{case_id}/whistle", headers=WANG, json={
        "street_office": "street-office", "summoned": ["fire-safety"], "report_in_minutes": 30, "reason": "x"})
    [item] = listed(client, "whistles")
    assert item["whistles"][0]["waiting_for"] == ["fire-safety"] and item["whistles"][0]["no_shows"] == []
    clock.now = START + timedelta(minutes=31)
    assert listed(client, "no-shows")[0]["whistles"][0]["no_shows"] == ["fire-safety"]


def test_only_coordinators_read_the_board(client: TestClient) -> None:
    refused(client.get("/board", headers={"Authorization": ""}), 401, "unauthorized")
    refused(client.get("/board/cases", params={"list": "nonsense"}), 422, "validation-error")
