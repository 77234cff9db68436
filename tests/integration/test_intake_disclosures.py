"""Personal data on a need-to-know basis: the agency gateway unseals a case for a department holding a live
task, an operator with the contact role reads it, and the privacy role reads the record of both."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import ANONYMOUS, CALLER, OFFICER, RECORDER, settings  # noqa: F401
from tests.integration.test_intake_personal_data import ADDRESS, ADDRESS_ID, EMAIL, ID_NUMBER, LATITUDE, LONGITUDE, \
    NAME, PHONE, TOLD
from tests.support.staff import as_role

GATEWAY = as_role("disclosure")
FOR_TASK = {"department": "dongcheng-housing", "task_id": "task-0017", "purpose": "webhook"}
DEPARTMENT_FIELDS = ["text", "address", "address_id", "latitude", "longitude", "name", "phone", "email"]


def test_a_department_gets_what_its_task_needs_and_every_disclosure_is_recorded(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case_id = client.post("/cases", json=TOLD).json()["case_id"]
        disclosed = client.post(f"/cases/{case_id}/disclosures", json=FOR_TASK, headers=GATEWAY)
        client.get(f"/cases/{case_id}", headers=CALLER)  # no contact role: nothing unsealed, nothing recorded
        client.get(f"/cases/{case_id}", headers=OFFICER)
        client.post(f"/cases/{case_id}/disclosures", json={**FOR_TASK, "purpose": "task_api"}, headers=GATEWAY)
        records = client.get("/disclosures", params={"case_id": case_id}, headers=as_role("privacy")).json()
        paged = client.get("/disclosures?limit=1&offset=1", headers=as_role("privacy")).json()
        other = client.get("/disclosures?case_id=another-case", headers=as_role("privacy")).json()
    assert disclosed.status_code == 200, disclosed.text
    assert disclosed.json() == {"case_id": case_id, "text": TOLD["text"], "address": ADDRESS, "address_id": ADDRESS_ID,
                                "latitude": LATITUDE, "longitude": LONGITUDE, "contact": {"name": NAME, "phone": PHONE, "email": EMAIL}}
    assert ID_NUMBER not in disclosed.text  # a department does not need it
    assert [(r["purpose"], r["principal_id"], r["department"], r["task_id"]) for r in records] == [
        ("task_api", "disclosure-desk", "dongcheng-housing", "task-0017"),
        ("operator_view", "op-zhao", None, None),
        ("webhook", "disclosure-desk", "dongcheng-housing", "task-0017")]
    assert records[2]["fields"] == DEPARTMENT_FIELDS and records[1]["fields"] == [*DEPARTMENT_FIELDS, "id_number"]
    assert all(r["case_id"] == case_id and r["disclosed_at"] for r in records)
    assert paged == records[1:2] and other == []
    assert not any(value in str(records) for value in (NAME, PHONE, ID_NUMBER, EMAIL, ADDRESS, ADDRESS_ID))  # names, not values


def test_refusals_erasure_and_a_case_without_personal_data(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case_id = client.post("/cases", json=TOLD).json()["case_id"]
        plain = client.post("/cases", json={"text": "路灯不亮", "place": {"district": "D", "street": "S"}}).json()
        url = f"/cases/{case_id}/disclosures"
        refused = {who: client.post(url, json=FOR_TASK, headers=headers).status_code
                   for who, headers in (("anonymous", ANONYMOUS), ("recorder", RECORDER),
                                        ("contact", as_role("contact")), ("privacy", as_role("privacy")),
                                        ("admin", as_role("admin")))}
        invalid = [client.post(url, json=body, headers=GATEWAY) for body in (
            {**FOR_TASK, "purpose": "curiosity"}, {**FOR_TASK, "department": "d" * 65},
            {**FOR_TASK, "task_id": "t" * 65}, {**FOR_TASK, "note": "x"}, {"department": "d", "task_id": "t"})]
        unknown = client.post("/cases/no-such-case/disclosures", json=FOR_TASK, headers=GATEWAY)
        nothing_sealed = client.post(f"/cases/{plain['case_id']}/disclosures", json=FOR_TASK, headers=GATEWAY)
        citizen = client.get(f"/cases/{case_id}", headers=OFFICER).json()["citizen_id"]
        client.delete(f"/citizens/{citizen}", headers=OFFICER)
        erased = client.post(url, json=FOR_TASK, headers=GATEWAY)
        records = client.get("/disclosures", headers=as_role("privacy")).json()
        not_privacy = client.get("/disclosures", headers=as_role("contact"))
        bounds = [client.get(f"/disclosures?{q}", headers=as_role("privacy")).status_code
                  for q in ("limit=0", "limit=501", "offset=-1", f"offset={2**63}", "case_id=" + "c" * 65)]
    assert refused == {"anonymous": 401, "recorder": 403, "contact": 403, "privacy": 403, "admin": 403}
    assert [r.status_code for r in invalid] == [422] * 5
    assert all(r.headers["content-type"] == "application/problem+json" for r in invalid)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert nothing_sealed.json() == {"case_id": plain["case_id"], "text": "路灯不亮", "address": None,
                                     "address_id": None, "latitude": None, "longitude": None, "contact": None}
    assert erased.status_code == 410 and erased.headers["content-type"] == "application/problem+json"
    assert erased.json()["type"].endswith("/personal-data-erased") and PHONE not in erased.text
    assert [r["purpose"] for r in records] == ["operator_view"]  # neither the erased nor the empty case counted
    assert not_privacy.status_code == 403 and bounds == [422] * 5


@pytest.mark.parametrize("role", ["disclosure", "privacy"])
def test_the_openapi_document_names_the_roles(settings: IntakeSettings, role: str) -> None:
    with TestClient(build_app(settings)) as client:
        paths = client.get("/openapi.json").json()["paths"]
    operation = paths["/cases/{case_id}/disclosures"]["post"] if role == "disclosure" else \
        paths["/disclosures"]["get"]
    assert operation["security"] == [{"StaffToken": [role]}]
    assert {"401", "403"} <= set(operation["responses"])
    if role == "disclosure":
        assert {"404", "410", "413", "422"} <= set(operation["responses"])
