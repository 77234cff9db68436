"""A department's own figures through the gateway, on the four services as separate processes: a heating
utility handles a case and the citizen's verdict is recorded; with its API key it reads its three rates and
median times, which equal audit's analytics for it; another department's key reads only that department's
own (empty) figures, whatever it asks for; with audit gone the gateway answers 503 problem+json."""
from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from jiesu_audit.domain.times import period_of
from tests.e2e.conftest import Deployment
from tests.support.staff import as_role
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
UTILITY, OTHER = "heating-utility", "street-office"  # heating cases go to the utility alone (default rules)
TIMES = ("time_to_decide_seconds", "time_to_respond_seconds", "time_to_complete_seconds")


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _handle_with_a_verdict(deployment: Deployment, key: str) -> str:
    """A heating case, accepted, the citizen contacted, completed; the call-back desk records the verdict."""
    intake, gateway = deployment.urls["intake"], deployment.urls["gateway"]
    created = httpx.post(f"{intake}/cases", headers=as_role("intake"), json={
        "text": "暖气不热，室温只有十五度", "channel": "hotline", "category": "heating",
        "place": {"district": "Xicheng", "street": "Shichahai"}})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    task = eventually(lambda: next(iter(httpx.get(f"{gateway}/tasks", headers=_bearer(key), params={
        "case_id": case_id, "status": "offered"}).json()["tasks"]), None), timeout=60, what="the offer")
    for action, body in (("accept", None), ("respond", {"note": "called"}), ("complete", {"resolution": "valve"})):
        answer = httpx.post(f"{gateway}/tasks/{task['task_id']}/{action}", json=body, headers=_bearer(key))
        assert answer.status_code == 200, answer.text
    eventually(lambda: any(e["case_id"] == case_id for e in httpx.get(
        f"{intake}/callback-queue", headers=as_role("callback")).json()), timeout=60, what="the call-back queue")
    verdict = httpx.post(f"{intake}/cases/{case_id}/callback", headers=as_role("callback"),
                         json={"outcome": "resolved_satisfied", "satisfaction": "basically_satisfied"})
    assert verdict.status_code == 200, verdict.text
    return case_id


def _audit(deployment: Deployment, path: str, **params: str) -> dict:
    answer = httpx.get(f"{deployment.urls['audit']}{path}", params=params, headers=as_role("coordinator"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _figures(deployment: Deployment, key: str, **params: str) -> httpx.Response:
    return httpx.get(f"{deployment.urls['gateway']}/figures", params=params, headers=_bearer(key))


@pytest.mark.parametrize("bus_kind", ["embedded"])
def test_a_department_reads_its_own_figures_as_audit_counts_them_and_no_one_elses(deployment: Deployment) -> None:
    key, other = deployment.register(UTILITY), deployment.register(OTHER)
    _handle_with_a_verdict(deployment, key)
    month = period_of(datetime.now(UTC), "month")  # as audit counts months: in the deployment's zone

    def rated() -> dict | None:
        rows = _audit(deployment, "/analytics/three-rates", month=month)["departments"]
        row = next((r for r in rows if r["department"] == UTILITY), None)
        return row if row and row["counted"]["satisfaction"] == 1 else None

    ranking_row = eventually(rated, timeout=60, what="the verdict in audit's three rates")
    ranking = _audit(deployment, "/analytics/three-rates", month=month)
    dashboard = _audit(deployment, f"/analytics/departments/{UTILITY}", period="month", **{"from": month, "to": month})
    (own_row,) = dashboard["rows"]

    answer = _figures(deployment, key)
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    assert _figures(deployment, key, month=month).json() == mine  # this month is the default
    assert (mine["department"], mine["month"]) == (UTILITY, month)
    expected_rates = {k: v for k, v in ranking_row.items() if k != "department"}
    assert {k: v for k, v in mine["three_rates"].items() if k not in ("ranked", "weights")} == expected_rates
    assert mine["three_rates"]["weights"] == ranking["weights"]
    assert mine["three_rates"]["ranked"] == sum(1 for r in ranking["departments"] if r["rank"] is not None)
    assert mine["three_rates"]["response_rate"] == 1.0 and mine["three_rates"]["rank"] == 1
    for name in (*TIMES, "offers", "accepted", "returned"):
        assert mine[name] == own_row[name], name
    assert mine["time_to_respond_seconds"]["count"] == 1 and mine["time_to_respond_seconds"]["median"] >= 0

    # Another department gets its own figures, never the utility's, even when it names the utility.
    for params in ({}, {"department": UTILITY}, {"department_id": UTILITY}):
        theirs = _figures(deployment, other, **params)
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["department"] == OTHER and UTILITY not in theirs.text
        assert theirs.json()["offers"] == 0 and theirs.json()["three_rates"]["rank"] is None
    assert httpx.get(f"{deployment.urls['gateway']}/figures/{UTILITY}", headers=_bearer(other)).status_code == 404
    assert _figures(deployment, key, month="2026-13").status_code == 422

    deployment.processes["audit"].stop()  # audit unreachable: a problem the console can turn into a sentence
    gone = _figures(deployment, key)
    assert gone.status_code == 503, gone.text
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert gone.json()["title"] == "Your figures cannot be read just now"
