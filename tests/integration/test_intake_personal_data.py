"""Intake keeps the exact place sealed like a phone: not on the log, not in its own database, not in the
remembered answers; and only the caller's own contact details say whose case it is."""
from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import (CALLER, OFFICER, OPEN311_KEY, RECORDER, log_records,  # noqa: F401
                                                settings)

ADDRESS, LATITUDE, LONGITUDE = "东城区沙滩北街27号", 39.92345678, 116.39876543
ADDRESS_ID = "BJ-DC-SHATAN-0027"  # the gazetteer's id of that address: as exact, sealed with it
O311_ADDRESS, O311_LAT, O311_LONG = "景山前街4号院", 39.91637281, 116.39721846
NAME, PHONE, ID_NUMBER, EMAIL = "司马相如", "13812345678", "110105199003071234", "sima@example.org"
PLACE = {"district": "Dongcheng", "street": "Jingshan", "community": "Shatan", "address": ADDRESS,
         "address_id": ADDRESS_ID, "latitude": LATITUDE, "longitude": LONGITUDE}
TOLD = {"text": f"电话{PHONE}，邮箱{EMAIL}。楼道堆满杂物", "place": PLACE,
        "contact": {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "email": EMAIL}}


def forms(*values: str | float) -> list[bytes]:
    """Each value as UTF-8, JSON-escaped and (for a number) as SQLite stores a REAL: no encoding hides it."""
    found = []
    for value in values:
        found += [str(value).encode(), json.dumps(str(value)).strip('"').encode()]
        if isinstance(value, float):
            found.append(struct.pack(">d", value))
    return found


def stored(path: str) -> bytes:
    """A SQLite database's raw bytes, with its write-ahead log."""
    file = Path(path.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in sorted(file.parent.glob(file.name + "*")))


def test_the_exact_place_and_contact_are_never_in_clear_in_the_log_the_database_or_the_answers(
        settings: IntakeSettings) -> None:
    o311 = urlencode({"api_key": OPEN311_KEY, "service_code": "noise", "lat": O311_LAT, "long": O311_LONG,
                      "address_string": O311_ADDRESS, "description": "loud at night",
                      "attribute[district]": "Dongcheng", "attribute[street]": "Jingshan"}).encode()
    with TestClient(build_app(settings), headers=RECORDER) as client:
        created = client.post("/cases", json=TOLD, headers={"Idempotency-Key": "call-1"})
        replayed = client.post("/cases", json=TOLD, headers={"Idempotency-Key": "call-1"})
        via_open311 = client.post("/open311/v2/requests.json", content=o311,
                                  headers={"content-type": "application/x-www-form-urlencoded"})
        case_id, request_id = created.json()["case_id"], via_open311.json()[0]["service_request_id"]
        hidden = client.get(f"/cases/{case_id}", headers=CALLER).json()
        shown = client.get(f"/cases/{case_id}", headers=OFFICER).json()
        shown_open311 = client.get(f"/cases/{request_id}", headers=OFFICER).json()
        records = asyncio.run(log_records(settings, 2))
    planted = forms(ADDRESS, ADDRESS_ID, LATITUDE, LONGITUDE, O311_ADDRESS, O311_LAT, O311_LONG, NAME, PHONE, ID_NUMBER, EMAIL)
    places = {"district": "Dongcheng", "street": "Jingshan", "address": None, "address_id": None, "latitude": None,
              "longitude": None}
    assert created.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    for answer in (created.json(), replayed.json(), hidden):
        assert {k: answer["place"][k] for k in places} == places and answer["contact"] is None
    assert [w for w in planted if any(w in a.content for a in (created, replayed))] == []
    on_log = [r.value for r in records] + [v for r in records for _, v in r.headers]
    assert len(records) == 2 and [w for w in planted if any(w in blob for blob in on_log)] == []
    assert [w for w in planted if w in stored(settings.embedded_log_path)] == []
    assert [w for w in planted if w in stored(settings.database_url)] == []  # read model, idempotency, keys
    assert (shown["place"]["address"], shown["place"]["address_id"], shown["place"]["latitude"],
            shown["place"]["longitude"]) == (ADDRESS, ADDRESS_ID, LATITUDE, LONGITUDE)
    assert shown["text"] == TOLD["text"] and shown["contact"]["id_number"] == ID_NUMBER
    assert (shown_open311["place"]["address"], shown_open311["place"]["latitude"]) == (O311_ADDRESS, O311_LAT)


def test_a_number_in_the_text_never_links_the_case_to_another_citizen(settings: IntakeSettings) -> None:
    place = {"district": "Xicheng", "street": "Xinjiekou"}
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = client.post("/cases", json={"text": "暖气不热", "place": place,
                                            "contact": {"id_number": ID_NUMBER}}).json()
        # Someone else reports that the first citizen's ID number is misused: it is in the text only.
        second = client.post("/cases", json={"text": f"有人冒用身份证号{ID_NUMBER}开店", "place": place,
                                             "contact": {"phone": PHONE}}).json()
        returning = client.post("/cases", json={"text": "暖气还是不热", "place": place,
                                                "contact": {"id_number": ID_NUMBER}}).json()
        citizen = [client.get(f"/cases/{c['case_id']}", headers=OFFICER).json()["citizen_id"]
                   for c in (first, second, returning)]
        found = client.post("/citizens/lookup", json={"id_number": ID_NUMBER}, headers=OFFICER).json()
        erased = client.delete(f"/citizens/{citizen[0]}", headers=OFFICER)
        after = client.get(f"/cases/{second['case_id']}", headers=OFFICER).json()
        gone = client.get(f"/cases/{returning['case_id']}", headers=OFFICER).json()
    assert citizen[1] not in (None, citizen[0]) and citizen[2] == citizen[0]  # the caller's own ID number links
    assert found == {"citizen_id": citizen[0]} and erased.status_code == 204
    assert after["contact_erased"] is False and after["text"] == f"有人冒用身份证号{ID_NUMBER}开店"
    assert after["contact"]["phone"] == PHONE and gone["contact_erased"] is True
