"""Intake's keys rest wrapped under its master key: none is in the database's bytes, the keys an older
version stored unwrapped are wrapped at the next start, and a case sealed before still opens after."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from jiesu_intake.master_key import MasterKeyError, load_master_key
from tests.integration.test_intake_http import OFFICER, RECORDER, settings  # noqa: F401  # the fixture

PLACE = {"district": "Xicheng", "street": "Shichahai"}


def raw_keys(settings: IntakeSettings) -> tuple[Database, list[bytes]]:
    database = Database(settings.database_url)
    database.session_info[privacy.MASTER_KEY] = load_master_key(
        key_file=None, key_command=None, database_url=settings.database_url)
    with database.transaction() as session:
        keys = [privacy._key_of(session, c) for c in session.exec(select(privacy.CitizenKey))]
        pepper = privacy._master(session).unwrap(session.get(privacy.PseudonymSecret, 1).secret, privacy.PSEUDONYM_LABEL)
    return database, [*keys, pepper]


def test_keys_rest_wrapped_and_an_older_databases_unwrapped_keys_are_wrapped_at_start(settings: IntakeSettings) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case = client.post("/cases", json={"text": "楼下餐馆油烟太大", "place": PLACE, "contact": {
            "name": "王小明", "phone": "13911112222"}}).json()
    database, keys = raw_keys(settings)
    stored = Path(settings.database_url.removeprefix("sqlite:///")).read_bytes()
    assert len(keys) == 2 and not any(base64.b64encode(k) in stored or k in stored for k in keys)

    with database.transaction() as session:  # as an earlier version stored them: base64, unwrapped
        citizen = session.exec(select(privacy.CitizenKey)).one()
        citizen.key = base64.b64encode(keys[0]).decode()
        session.get(privacy.PseudonymSecret, 1).secret = base64.b64encode(keys[1]).decode()
    database.dispose()

    with TestClient(build_app(settings), headers=RECORDER) as client:
        shown = client.get(f"/cases/{case['case_id']}", headers=OFFICER).json()
        again = client.post("/cases", json={"text": "油烟还是很大", "place": PLACE, "contact": {
            "phone": "13911112222"}}).json()
        citizen_of_again = client.get(f"/cases/{again['case_id']}", headers=OFFICER).json()["citizen_id"]
    assert shown["contact"]["phone"] == "13911112222" and shown["contact"]["name"] == "王小明"
    assert citizen_of_again == shown["citizen_id"]  # the pseudonym secret still finds the returning caller
    database, after = raw_keys(settings)
    database.dispose()
    with Database(settings.database_url).transaction() as session:
        assert all(c.key.startswith("mk1.") for c in session.exec(select(privacy.CitizenKey)))
        assert session.get(privacy.PseudonymSecret, 1).secret.startswith("mk1.")
    assert after == keys


def test_intake_does_not_start_with_another_master_key(settings: IntakeSettings, tmp_path: Path) -> None:
    with TestClient(build_app(settings), headers=RECORDER) as client:
        assert client.post("/cases", json={"text": "路灯不亮", "place": PLACE, "contact": {
            "phone": "13911113333"}}).status_code == 201
    other = tmp_path / "other.master-key"
    other.write_text(base64.b64encode(bytes(32)).decode())
    with pytest.raises(MasterKeyError, match="wrapped by master key .*, but this intake has"):
        build_app(settings.model_copy(update={"master_key_file": str(other)}))
