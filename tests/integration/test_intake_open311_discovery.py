"""Open311 as a client library checks it: the discovery document, the full service list (with
`unclassified`), JSON answers that say their charset, and a resubmission window for identical posts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import OPEN311_KEY, RECORDER, settings  # noqa: F401
from tests.integration.test_intake_open311 import CLIENT_POST, post

# What two users of the same app send: the same words about the same place, no contact, no Idempotency-Key.
ANONYMOUS = urlencode({"api_key": OPEN311_KEY, "service_code": "noise", "lat": "39.9163", "long": "116.3972",
                       "description": "Loud bar music after midnight", "attribute[district]": "Dongcheng",
                       "attribute[street]": "Jingshan"}).encode()


def test_the_discovery_document_names_the_endpoint_in_both_formats(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings)) as client:
        as_json = client.get("/open311/discovery.json")
        as_xml = client.get("/open311/discovery.xml")
        beside = client.get("/open311/v2/discovery.json")
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json; charset=utf-8"
    (endpoint,) = as_json.json()["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    root = ElementTree.fromstring(as_xml.text)
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert beside.json() == as_json.json()


def test_the_service_list_has_unclassified_and_a_client_may_post_it(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        codes = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
        definition = client.get("/open311/v2/services/unclassified.json")
        created = post(client, "json", CLIENT_POST.replace(b"service_code=noise", b"service_code=unclassified"))
        shown = client.get(f"/open311/v2/requests/{created.json()[0]['service_request_id']}.json").json()[0]
    assert "unclassified" in codes and definition.status_code == 200
    assert created.status_code == 201 and shown["service_code"] == "unclassified"


def test_json_answers_and_errors_say_utf_8(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        answers = [client.get("/open311/v2/services.json"), client.get("/open311/v2/services/ufo.json"),
                   post(client, "json", CLIENT_POST)]
    assert [a.headers["content-type"] for a in answers] == ["application/json; charset=utf-8"] * 3


def test_identical_posts_are_one_request_only_within_the_window(settings: IntakeSettings) -> None:
    settings = settings.model_copy(update={"open311_resubmission_window_minutes": 30.0})
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    app = build_app(settings)
    with TestClient(app, headers=RECORDER) as client:
        app.state.service.clock = lambda: now[0]
        first = post(client, "json", ANONYMOUS)
        now[0] += timedelta(minutes=5)
        second_user = post(client, "json", ANONYMOUS)
        now[0] += timedelta(days=2)
        days_later = post(client, "json", ANONYMOUS)
    ids = [a.json()[0]["service_request_id"] for a in (first, second_user, days_later)]
    assert [a.status_code for a in (first, second_user, days_later)] == [201, 200, 201]
    assert ids[0] == ids[1] != ids[2]


def test_a_posted_address_id_is_kept_as_an_address_id_beside_the_words_and_sealed(settings: IntakeSettings) -> None:
    from tests.integration.test_intake_http import CALLER, OFFICER

    with_id = CLIENT_POST + b"&" + urlencode({"address_id": "BJ-DC-000417"}).encode()
    only_id = urlencode({"api_key": OPEN311_KEY, "service_code": "noise", "address_id": "BJ-DC-000418"}).encode()
    too_long = urlencode({"api_key": OPEN311_KEY, "service_code": "noise", "address_id": "X" * 65}).encode()
    with TestClient(build_app(settings), headers=RECORDER) as client:
        ids = [post(client, "json", body).json()[0]["service_request_id"] for body in (with_id, only_id)]
        exact = [client.get(f"/cases/{i}", headers=OFFICER).json()["place"] for i in ids]
        generalised = [client.get(f"/cases/{i}", headers=CALLER).json()["place"] for i in ids]
        refused = post(client, "json", too_long)
    assert [(p["address"], p["address_id"]) for p in exact] == [("景山前街 4 号", "BJ-DC-000417"),
                                                                  (None, "BJ-DC-000418")]
    assert [(p["address"], p["address_id"]) for p in generalised] == [(None, None), (None, None)]
    assert refused.status_code == 400 and "address_id" in refused.json()[0]["description"]
