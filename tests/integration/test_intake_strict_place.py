"""A case's coordinates are numbers: a bool or a numeric string is refused with 422 problem+json and
nothing is appended (false was once stored as longitude 0.0); ints and floats stay valid."""
from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.integration.test_intake_http import GOOD, RECORDER, log_records, settings  # noqa: F401 (fixture)

PLACE = GOOD["place"]


@pytest.mark.parametrize(("coordinates", "field"), [
    ({"longitude": False}, "place.longitude"),
    ({"latitude": True, "longitude": 116}, "place.latitude"),
    ({"latitude": "39.9", "longitude": 116.3}, "place.latitude"),
    ({"latitude": 39.9, "longitude": "116.3"}, "place.longitude"),
    ({"latitude": 91, "longitude": 116.3}, "place.latitude"),
])
def test_coordinates_that_are_not_numbers_are_refused(settings: IntakeSettings, coordinates: dict,  # noqa: F811
                                                      field: str) -> None:
    good = {**GOOD, "place": {**PLACE, "latitude": 40, "longitude": 116.39}}  # an int is a number too
    with TestClient(build_app(settings)) as client:
        bad = client.post("/cases", json={**GOOD, "place": {**PLACE, **coordinates}}, headers=RECORDER)
        accepted = client.post("/cases", json=good, headers=RECORDER)
        records = asyncio.run(log_records(settings, 1))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in bad.json()["errors"]], bad.text
    assert accepted.status_code == 201, accepted.text
    assert [r.key.decode() for r in records] == [accepted.json()["case_id"]]  # only the good case reached the log
