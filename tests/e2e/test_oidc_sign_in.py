"""Staff sign in through a real OpenID Connect provider (Keycloak, provisioned by deploy/keycloak.sh) and
work a case across the four services, which verify every token themselves: an administrator registers a
department, an operator records a case, a coordinator dispatches it by hand and reads its timeline, and
a researcher is kept to the figures."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import ServiceProcess, start_services, stop_all
from tests.support import keycloak
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.oidc]
CASE = {"text": "楼道灯坏了三天了 the stairwell light has been broken for three days", "channel": "hotline",
        "category": "property_management", "place": {"district": "Dongcheng", "street": "Jingshan"}}


@pytest.fixture
def services(oidc_issuer: str, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(tmp_path / "log.sqlite3"),
           "JIESU_OIDC_ISSUER": oidc_issuer, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
           # no static staff and no admin token: every person signs in through the provider
           "JIESU_STAFF": "[]"}
    processes = start_services(env, tmp_path)
    try:
        yield processes
    finally:
        stop_all(processes)


def signed_in(issuer: str, username: str) -> dict[str, str]:
    token = keycloak.password_token(issuer, username, keycloak.password_of(username))
    return {"authorization": f"Bearer {token}"}


def test_staff_signed_in_through_the_provider_work_a_case_end_to_end(oidc_issuer: str,
                                                                      services: dict[str, ServiceProcess]) -> None:
    url = {name: process.url for name, process in services.items()}
    admin, operator = signed_in(oidc_issuer, "admin-chen"), signed_in(oidc_issuer, "op-wang")
    coordinator, researcher = signed_in(oidc_issuer, "coord-li"), signed_in(oidc_issuer, "res-zhao")
    receiver = WebhookReceiver()
    hooks = receiver.start()
    try:
        registered = httpx.post(f"{url['gateway']}/admin/departments", headers=admin, json={
            "department_id": "housing", "name": "Housing", "webhook_url": f"{hooks}/housing"})
        assert registered.status_code == 201, registered.text
        receiver.secrets["housing"] = registered.json()["webhook_secret"]

        created = httpx.post(f"{url['intake']}/cases", headers=operator, json=CASE)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        eventually(lambda: httpx.get(f"{url['dispatch']}/cases/{case_id}", headers=coordinator).status_code == 200
                   or None, what="dispatch has read the case")
        dispatched = httpx.post(f"{url['dispatch']}/cases/{case_id}/dispatch", headers=coordinator,
                                json={"lead_department": "housing", "reason": "the building's wiring is housing's"})
        assert dispatched.status_code == 200, dispatched.text

        def dispatched_by_hand() -> dict | None:
            answer = httpx.get(f"{url['audit']}/cases/{case_id}/timeline", headers=coordinator)
            events = answer.json()["events"] if answer.status_code == 200 else []
            return next((e for e in events if e["type"] == "case.dispatched.v1" and e["actor"] == "coord-li"), None)

        by_hand = eventually(dispatched_by_hand, what="the hand dispatch in audit's timeline")
        assert by_hand["data"]["lead_department"] == "housing"
        eventually(lambda: [d for d in receiver.deliveries if d.department == "housing" and d.verified],
                   what="housing's signed webhook")

        assert httpx.get(f"{url['audit']}/analytics/definitions", headers=researcher).status_code == 200
        for refused in (httpx.get(f"{url['dispatch']}/cases/{case_id}", headers=researcher),
                        httpx.get(f"{url['audit']}/cases/{case_id}/timeline", headers=researcher),
                        httpx.post(f"{url['intake']}/cases", headers=coordinator, json=CASE)):
            assert refused.status_code == 403, refused.text
            assert "stairwell" not in refused.text
    finally:
        receiver.stop()


def test_a_token_that_was_tampered_with_or_is_missing_is_refused(oidc_issuer: str,
                                                                 services: dict[str, ServiceProcess]) -> None:
    token = signed_in(oidc_issuer, "res-zhao")["authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-4]}{'AAAA' if payload[-4:] != 'AAAA' else 'BBBB'}.{signature}"
    for name, process in services.items():
        path = "/analytics/definitions" if name == "audit" else "/taxonomy" if name == "intake" else None
        if path is None:
            continue
        assert httpx.get(process.url + path, headers={"authorization": f"Bearer {token}"}).status_code == 200
        for headers in ({"authorization": f"Bearer {forged}"}, {"authorization": f"Bearer {secrets.token_urlsafe()}"},
                        {}):
            answer = httpx.get(process.url + path, headers=headers)
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", name
