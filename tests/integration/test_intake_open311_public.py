"""Open311's read surface is open to anyone, so it shows only what the deployment publishes: by default the
subject, status, dates and the place generalised to the community; never the text, address or point."""
from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import OPEN311_KEY, RECORDER, settings  # noqa: F401
from tests.integration.test_intake_personal_data import (ADDRESS, EMAIL, LATITUDE, LONGITUDE, NAME, O311_ADDRESS,
                                                         O311_LAT, O311_LONG, PHONE, TOLD, forms)

FORM = {"content-type": "application/x-www-form-urlencoded"}
O311_TEXT = "Loud generator behind the canteen"
CLIENT_POST = urlencode({
    "api_key": OPEN311_KEY, "service_code": "noise", "lat": O311_LAT, "long": O311_LONG,
    "address_string": O311_ADDRESS, "email": EMAIL, "first_name": "Mei", "last_name": "Chen", "phone": PHONE,
    "description": f"{O311_TEXT}, call {PHONE}", "attribute[district]": "Dongcheng", "attribute[street]": "Jingshan",
    "attribute[community]": "Sanyanjing", "attribute[grid]": "G-07"}).encode()


def read_everything(client: TestClient, ids: list[str]) -> list[bytes]:
    """Every public read, in both formats, without any credential."""
    paths = ["/open311/v2/services.json", "/open311/v2/services/noise.xml"]
    paths += [f"/open311/v2/requests.{fmt}" for fmt in ("json", "xml")]
    paths += [f"/open311/v2/requests/{i}.{fmt}" for i in ids for fmt in ("json", "xml")]
    paths += [f"/open311/v2/requests.json?service_request_id={','.join(ids)}"]
    answers = [client.get(p) for p in paths]
    assert [a.status_code for a in answers] == [200] * len(paths)
    return [a.content for a in answers]


def test_without_credentials_no_text_address_point_or_contact_appears(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings)) as client:  # no credential by default
        case_id = client.post("/cases", json=TOLD, headers=RECORDER).json()["case_id"]
        request_id = client.post("/open311/v2/requests.json", content=CLIENT_POST, headers=FORM).json()[0][
            "service_request_id"]
        bodies = read_everything(client, [case_id, request_id])
        (one,) = client.get(f"/open311/v2/requests/{request_id}.json").json()
        xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{request_id}.xml").text).find("request")
    planted = forms(ADDRESS, LATITUDE, LONGITUDE, O311_ADDRESS, O311_LAT, O311_LONG, NAME, PHONE, EMAIL, "Chen",
                    O311_TEXT, "楼道堆满杂物", "[phone-1]", "G-07")
    assert [w for w in planted if any(w in body for body in bodies)] == []
    assert {k: one[k] for k in ("service_request_id", "service_code", "status", "district", "street",
                                "community")} == {"service_request_id": request_id, "service_code": "noise",
                                                  "status": "open", "district": "Dongcheng", "street": "Jingshan",
                                                  "community": "Sanyanjing"}
    assert one["requested_datetime"] and one["updated_datetime"] and "grid" not in one  # finer than a community
    assert all(one[k] is None for k in ("description", "address", "lat", "long", "status_notes",
                                        "agency_responsible"))
    assert xml is not None and xml.findtext("community") == "Sanyanjing" and not xml.findtext("description")


def test_a_deployment_chooses_what_is_public(settings: IntakeSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIESU_OPEN311_PUBLIC_FIELDS", "service_code, status, description")
    chosen = IntakeSettings(**settings.model_dump(exclude={"open311_public_fields"}))
    with TestClient(build_app(chosen)) as client:
        client.post("/open311/v2/requests.json", content=CLIENT_POST, headers=FORM)
        (shown,) = client.get("/open311/v2/requests.json").json()
    assert shown["description"] == f"{O311_TEXT}, call [phone-1]"  # the text as logged: placeholders only
    assert shown["service_code"] == "noise" and shown["requested_datetime"] is None and "district" not in shown
    assert shown["address"] is None and shown["lat"] is None


@pytest.mark.parametrize("fields", ['["address"]', "status,lat", "status,long,email"])
def test_the_sealed_place_can_never_be_made_public(fields: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIESU_OPEN311_PUBLIC_FIELDS", fields)
    with pytest.raises(ValidationError, match="cannot be public"):
        IntakeSettings()
