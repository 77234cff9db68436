"""Intake's own tables (read model, keys, idempotency) behave the same on SQLite and the real PostgreSQL."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from tests.contract.test_bus_contract import publish
from tests.integration.test_intake_http import CALLER, OFFICER, OPERATORS, RECORDER
from tests.integration.test_intake_kafka import handled_by_dispatch
from tests.support.master_key import master_key_file
from tests.support.staff import STAFF
from tests.support.waiting import eventually

PLACE = {"district": "Xicheng", "street": "Shichahai", "community": "Yandai"}


def test_duplicates_filters_queue_and_erasure_on_both_databases(database: Database, tmp_path: Path) -> None:
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), database_url=database.url,
                              master_key_file=master_key_file(tmp_path),
                              topic="cases", staff=[*STAFF, *OPERATORS])
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = client.post("/cases", json={"text": "酒吧噪音扰民 13712345678", "place": PLACE},
                            headers={"Idempotency-Key": "k"}).json()
        second = client.post("/cases", json={"text": "bar too loud at night", "place": PLACE}).json()
        replay = client.post("/cases", json={"text": "酒吧噪音扰民 13712345678", "place": PLACE},
                             headers={"Idempotency-Key": "k"}).json()

        def ids(query: str) -> set[str]:
            return {r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?{query}").json()}

        around = ids("start_date=2020-01-01T08:00:00%2B08:00")
        before = ids("end_date=2020-01-01T00:00:00Z")
        asyncio.run(publish(EmbeddedBus(settings.embedded_log_path),
                            [handled_by_dispatch(settings, first["case_id"], 5, "已整改 fixed")]))
        queued = eventually(lambda: client.get("/callback-queue", headers=CALLER).json(), what="the call-back queue")
        citizen = client.get(f"/cases/{first['case_id']}", headers=OFFICER).json()["citizen_id"]
        erased = client.delete(f"/citizens/{citizen}", headers=OFFICER)
        shown = client.get(f"/cases/{first['case_id']}", headers=OFFICER).json()
        disclosed = client.get("/disclosures?limit=5", headers=OFFICER).json()
    assert second["duplicate_of"] == first["case_id"] and replay["case_id"] == first["case_id"]
    assert around == {first["case_id"], second["case_id"]} and before == set()
    assert [q["case_id"] for q in queued] == [first["case_id"]] and queued[0]["resolution"] == "已整改 fixed"
    assert erased.status_code == 204 and shown["contact_erased"] is True and "13712345678" not in shown["text"]
    assert [(d["case_id"], d["principal_id"], d["fields"]) for d in disclosed] == [(first["case_id"], "op-zhao",
                                                                                    ["text"])]  # the look before
