"""Open311 GeoReport v2 as an existing Open311 client speaks it: form-encoded posts, JSON and XML answers,
Open311's error bodies."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import (CALLER, OFFICER, OPEN311_KEY, RECORDER, log_records,  # noqa: F401
                                                settings)

FORM = "application/x-www-form-urlencoded"
# What an Open311 client (e.g. a FixMyStreet-style app) sends, byte for byte.
CLIENT_POST = urlencode({
    "api_key": OPEN311_KEY, "service_code": "noise", "lat": "39.9163", "long": "116.3972",
    "address_string": "景山前街 4 号", "email": "citizen@example.org", "first_name": "Mei", "last_name": "Chen",
    "phone": "13912345678", "description": "Loud construction after 22:00, every night. Call me at 13912345678",
    "attribute[district]": "Dongcheng", "attribute[street]": "Jingshan", "attribute[request_type]": "complaint",
}).encode()


def post(client: TestClient, fmt: str, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(f"/open311/v2/requests.{fmt}", content=body, headers={"content-type": FORM, **headers})


def xml_errors(text: str) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(text)
    assert root.tag == "errors"
    return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]


def test_service_list_is_the_taxonomy_in_both_formats(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        as_json = client.get("/open311/v2/services.json")
        as_xml = client.get("/open311/v2/services.xml")
        definition = client.get("/open311/v2/services/noise.xml")
        missing = client.get("/open311/v2/services/teleportation.json")
    codes = [s["service_code"] for s in as_json.json()]
    assert {"property_management", "neighbour_dispute", "noise", "illegal_construction", "land_occupation",
            "fire_hazard", "heating", "elevator_retrofit", "waste_sorting", "unclassified"} == set(codes)
    assert all(s["metadata"] is True and s["type"] == "realtime" for s in as_json.json())
    root = ElementTree.fromstring(as_xml.text)
    assert as_xml.headers["content-type"].startswith("text/xml")
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    attributes = ElementTree.fromstring(definition.text).findall("attributes/attribute")
    assert {a.findtext("code") for a in attributes} >= {"district", "street", "community", "request_type"}
    request_type = next(a for a in attributes if a.findtext("code") == "request_type")
    assert [v.findtext("key") for v in request_type.findall("values/value")][:2] == ["consultation", "help"]
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_open311_clients_form_post_becomes_a_case(settings: IntakeSettings, fmt: str) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        created = post(client, fmt, CLIENT_POST)
        if fmt == "json":
            request_id = created.json()[0]["service_request_id"]
        else:
            request_id = ElementTree.fromstring(created.text).findtext("request/service_request_id")
        one = client.get(f"/open311/v2/requests/{request_id}.{fmt}")
        case = client.get(f"/cases/{request_id}", headers=OFFICER).json()
        (record,) = asyncio.run(log_records(settings, 1))
    assert created.status_code == 201
    if fmt == "json":
        (shown,) = one.json()
    else:
        element = ElementTree.fromstring(one.text).find("request")
        shown = {child.tag: child.text for child in element}  # type: ignore[union-attr]
    assert shown["service_request_id"] == request_id and shown["status"] == "open"
    assert shown["service_code"] == "noise" and shown["district"] == "Dongcheng"  # public: the place generalised
    assert not (shown["address"] or shown["lat"] or shown["long"] or shown["description"])
    assert case["text"] == "Loud construction after 22:00, every night. Call me at 13912345678"
    assert (case["place"]["address"], case["place"]["latitude"], case["place"]["longitude"]) == (
        "景山前街 4 号", 39.9163, 116.3972)  # sealed, and unsealed for the contact role
    assert (case["channel"], case["request_type"], case["place"]["district"]) == ("open311", "complaint", "Dongcheng")
    assert case["contact"]["name"] == "Mei Chen" and case["contact"]["phone"] == "13912345678"
    assert case["contact"]["email"] == "citizen@example.org"
    assert b"13912345678" not in record.value and b"Chen" not in record.value and b"example.org" not in record.value
    assert "景山前街".encode() not in record.value and b"39.9163" not in record.value


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_location_or_bad_api_key_get_open311_errors_and_append_nothing(settings: IntakeSettings,
                                                                               fmt: str) -> None:
    no_location = urlencode({"api_key": OPEN311_KEY, "service_code": "noise", "description": "loud"}).encode()
    bad_key = CLIENT_POST.replace(OPEN311_KEY.encode(), b"stolen-key")
    no_key = urlencode({"service_code": "noise", "lat": "39.9", "long": "116.4"}).encode()
    with TestClient(build_app(settings), headers=RECORDER) as client:
        answers = [post(client, fmt, no_location), post(client, fmt, bad_key), post(client, fmt, no_key),
                   post(client, fmt, CLIENT_POST.replace(b"service_code=noise", b"service_code=ufo"))]
        good = client.post("/cases", json={"text": "ok", "place": {"district": "D", "street": "S"}})
        records = asyncio.run(log_records(settings, 1))
    assert [a.status_code for a in answers] == [400, 403, 403, 404]
    if fmt == "json":
        errors = [a.json()[0] for a in answers]
        assert all(a.headers["content-type"] == "application/json; charset=utf-8" for a in answers)
        assert [e["code"] for e in errors] == [400, 403, 403, 404]
        assert "location" in errors[0]["description"] and "api_key" in errors[1]["description"]
    else:
        errors = [xml_errors(a.text)[0] for a in answers]
        assert [code for code, _ in errors] == ["400", "403", "403", "404"]
        assert "location" in errors[0][1] and "api_key" in errors[1][1]
    assert [r.key.decode() for r in records] == [good.json()["case_id"]]


def test_a_resubmission_returns_the_same_request(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = post(client, "json", CLIENT_POST)
        again = post(client, "json", CLIENT_POST)
        keyed = [post(client, "json", CLIENT_POST.replace(b"every night", b"nightly"), **{"Idempotency-Key": "k-1"})
                 for _ in range(2)]
        listed = client.get("/open311/v2/requests.json").json()
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert keyed[0].json()[0]["service_request_id"] == keyed[1].json()[0]["service_request_id"]
    assert len(listed) == 2


def test_request_list_filters(settings: IntakeSettings) -> None:
    noise = CLIENT_POST
    heating = CLIENT_POST.replace(b"service_code=noise", b"service_code=heating")
    with TestClient(build_app(settings), headers=RECORDER) as client:
        noise_id = post(client, "json", noise).json()[0]["service_request_id"]
        heating_id = post(client, "json", heating).json()[0]["service_request_id"]
        client.post(f"/cases/{heating_id}/withdraw", json={"reason": "fixed by the neighbours"}, headers=CALLER)

        def ids(query: str) -> list[str]:
            return [r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?{query}").json()]

        by_code, open_, closed = ids("service_code=noise"), ids("status=open"), ids("status=closed")
        by_id = ids(f"service_request_id={heating_id},{noise_id}")
        future, past = ids("start_date=2099-01-01T00:00:00Z"), ids("end_date=2000-01-01T00:00:00Z")
        in_range = ids("start_date=2020-01-01T00:00:00%2B08:00&end_date=2099-01-01T00:00:00Z")
        bad_status = client.get("/open311/v2/requests.xml?status=lost")
        bad_date = client.get("/open311/v2/requests.json?start_date=yesterday")
        missing = client.get("/open311/v2/requests/nope.xml")
    assert by_code == [noise_id] and open_ == [noise_id] and closed == [heating_id]
    assert sorted(by_id) == sorted([noise_id, heating_id]) and sorted(in_range) == sorted(by_id)
    assert future == [] and past == []
    assert bad_status.status_code == 400 and xml_errors(bad_status.text)[0][0] == "400"
    assert bad_date.status_code == 400 and bad_date.json()[0]["code"] == 400
    assert missing.status_code == 404 and xml_errors(missing.text)[0][0] == "404"


def test_a_non_form_post_is_an_open311_error(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        answer = client.post("/open311/v2/requests.json", json={"api_key": OPEN311_KEY})
    assert answer.status_code == 400 and "x-www-form-urlencoded" in answer.json()[0]["description"]


def test_an_over_long_name_or_a_non_number_point_is_refused_without_echoing_it(settings: IntakeSettings) -> None:
    long_name = "司马" * 150  # 300 characters, over the contact name's 64
    posts = {"name": CLIENT_POST.replace(b"first_name=Mei", urlencode({"first_name": long_name}).encode()),
             "lat": CLIENT_POST.replace(b"lat=39.9163", b"lat=true-ish-XYZ"),
             "phone": CLIENT_POST.replace(b"phone=13912345678", b"phone=call-me-XYZ")}
    with TestClient(build_app(settings), headers=RECORDER) as client:
        answers = {field: post(client, "json", body) for field, body in posts.items()}
        good = client.post("/cases", json={"text": "ok", "place": {"district": "D", "street": "S"}})
        records = asyncio.run(log_records(settings, 1))
    for field, answer in answers.items():
        assert answer.status_code == 400, field
        description = answer.json()[0]["description"]
        assert field in description, description
        assert "XYZ" not in description and long_name not in description
    assert [r.key.decode() for r in records] == [good.json()["case_id"]]
