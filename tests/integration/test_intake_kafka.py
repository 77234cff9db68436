"""Intake on the real Kafka broker: no personal data in the raw records, crypto-shredding that leaves the
log replayable, and the whole call-back cycle (回访) including reopening."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.bus.port import OutgoingRecord, Record
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.catalogue.dispatch import CaseHandled
from jiesu_shared.events import Envelope, decode_record, encode_envelope, new_event_id, utc_now
from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from jiesu_intake.domain.case import CaseState, evolve
from tests.contract.test_bus_contract import collect, open_subscription, publish
from tests.integration.test_intake_http import CALLER, OFFICER, OPERATORS, RECORDER
from tests.support.staff import STAFF
from tests.support.waiting import eventually

NAME, PHONE, ID_NUMBER = "王小明", "13800138000", "110105199003071234"
PLACE = {"district": "Chaoyang", "street": "Jinsong", "community": "Jinsong-3"}


@pytest.fixture
def settings(tmp_path: Path, unique: str, kafka_bootstrap: str) -> IntakeSettings:
    return IntakeSettings(bus="kafka", kafka_bootstrap_servers=kafka_bootstrap, topic=f"intake.{unique}",
                          dead_letter_topic=f"intake.{unique}.dlq", consumer_group_prefix=f"t{unique}",
                          database_url=f"sqlite:///{tmp_path}/intake.sqlite3", staff=[*STAFF, *OPERATORS])


async def read_topic(settings: IntakeSettings, topic: str, expected: int) -> list[Record]:
    """Every record on the topic once `expected` arrived, with a fresh consumer group (a replay)."""
    bus = KafkaBus(settings.kafka_bootstrap_servers, client_id="intake-test-reader")
    sub = await open_subscription(bus, f"reader-{new_event_id()}", topic)
    try:
        records = await collect(sub, expected, timeout=30)
        return records + await sub.poll(timeout=0.5)
    finally:
        await sub.stop()


def spellings(*words: str) -> list[bytes]:
    """Each word as UTF-8 and as it would look JSON-escaped, so no encoding hides it."""
    return [form for w in words for form in (w.encode(), json.dumps(w).strip('"').encode())]


def test_raw_kafka_records_hold_no_personal_data_and_erasure_shreds_it(settings: IntakeSettings,
                                                                       tmp_path: Path) -> None:
    told = {"text": f"我叫{NAME}，电话{PHONE}，身份证{ID_NUMBER}。楼上漏水，物业不管", "channel": "hotline",
            "place": PLACE, "contact": {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER}}
    with TestClient(build_app(settings), headers=RECORDER) as client:
        first = client.post("/cases", json=told).json()
        second = client.post("/cases", json={"text": f"暖气不热，回电 {PHONE}", "place": PLACE}).json()
        shown = client.get(f"/cases/{first['case_id']}", headers=OFFICER).json()
        hidden = client.get(f"/cases/{first['case_id']}", headers=CALLER).json()
        records = asyncio.run(read_topic(settings, settings.topic, 2))
        # The citizen asks to be forgotten: the privacy officer finds them by phone and erases them.
        citizen = client.post("/citizens/lookup", json={"phone": PHONE}, headers=OFFICER).json()["citizen_id"]
        erased = client.delete(f"/citizens/{citizen}", headers=OFFICER)
        after = [client.get(f"/cases/{c['case_id']}", headers=OFFICER).json() for c in (first, second)]
        again = client.delete(f"/citizens/{citizen}", headers=OFFICER)
        forgotten = client.post("/citizens/lookup", json={"phone": PHONE}, headers=OFFICER)
        newcomer = client.post("/cases", json={"text": f"电话 {PHONE}", "place": PLACE}).json()
        newcomer_shown = client.get(f"/cases/{newcomer['case_id']}", headers=OFFICER).json()

    raw = [r.value for r in records] + [v for r in records for _, v in r.headers] + [r.key for r in records]
    leaks = [w for w in spellings(NAME, PHONE, ID_NUMBER) if any(w in blob for blob in raw)]
    assert leaks == [], f"personal data in clear on the log: {leaks}"
    assert len(records) == 2 and {r.header("ce_type") for r in records} == {b"case.received.v1"}
    assert b'"algorithm":"AES-256-GCM"' in records[0].value and b"[phone-1]" in records[0].value

    assert first["citizen_id"] is None and hidden["citizen_id"] is None  # not even the pseudonym without the role
    assert shown["citizen_id"] == citizen
    assert shown["contact"] == {"citizen_id": citizen, "name": NAME, "phone": PHONE, "id_number": ID_NUMBER,
                                "email": None}
    assert shown["text"] == told["text"]  # an operator allowed to see them sees the citizen's own words
    assert hidden["contact"] is None and PHONE not in hidden["text"] and NAME not in hidden["text"]
    assert erased.status_code == 204 and again.status_code == 404 and forgotten.status_code == 404
    # A phone in the text does not say whose it is: the second case has a citizen of its own, erased separately.
    assert after[0]["contact"] is None and after[0]["contact_erased"] is True
    assert PHONE not in after[0]["text"] and NAME not in after[0]["text"]
    assert after[1]["contact_erased"] is False and after[1]["citizen_id"] not in (None, citizen)
    assert newcomer_shown["text"] == f"电话 {PHONE}" and newcomer_shown["citizen_id"] not in (None, citizen)  # a new key
    assert_replay_still_works(settings, records, first["case_id"])


def assert_replay_still_works(settings: IntakeSettings, records: list[Record], case_id: str) -> None:
    """The immutable log still decodes and folds; the sealed contact is there but can never be opened."""
    state: CaseState | None = None
    for record in (r for r in records if r.key == case_id.encode()):
        event = parse_payload(*(lambda e: (e.type, e.data))(decode_record(record.headers, record.value)))
        state = evolve(state, event)
        sealed = getattr(event, "contact", None)
    assert state is not None and state.category == "property_management"
    database = Database(settings.database_url)
    try:
        with database.transaction() as session, pytest.raises(privacy.ContactErased):
            privacy.unseal(session, sealed)
    finally:
        database.dispose()
    with TestClient(build_app(settings), headers=RECORDER) as client:  # a restart: the read model is folded again
        assert client.app.state.service.rebuild_read_model() == 3  # type: ignore[attr-defined]
        rebuilt = client.get(f"/cases/{case_id}", headers=OFFICER).json()
    assert rebuilt["category"] == "property_management" and rebuilt["contact_erased"] is True
    db_file = Path(settings.database_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    assert [w for w in spellings(NAME, PHONE, ID_NUMBER) if w in stored] == []  # nor in intake's own database


def handled_by_dispatch(settings: IntakeSettings, case_id: str, sequence: int, resolution: str) -> OutgoingRecord:
    """case.handled.v1 exactly as dispatch appends it: a CloudEvent from /jiesu/dispatch, in binary mode."""
    payload = CaseHandled(case_id=case_id, lead_department="chaoyang-housing", handled_at=utc_now(),
                          resolution=resolution)
    envelope = Envelope(id=new_event_id(), source="/jiesu/dispatch", type="case.handled.v1", subject=case_id,
                        time=utc_now(), sequence=sequence, correlationid=new_event_id(),
                        data=payload.model_dump(mode="json"))
    key, headers, value = encode_envelope(envelope)
    return OutgoingRecord(settings.topic, key, value, tuple(headers))


def test_the_call_back_cycle_with_a_reopening_runs_on_the_real_broker(settings: IntakeSettings) -> None:
    bus = KafkaBus(settings.kafka_bootstrap_servers, client_id="fake-dispatch")
    with TestClient(build_app(settings), headers=RECORDER) as client:
        case_id = client.post("/cases", json={"text": "暖气不热，家里有老人", "place": PLACE}).json()["case_id"]

        def queue() -> list[dict]:
            return [e for e in client.get("/callback-queue", headers=CALLER).json() if e["case_id"] == case_id]

        asyncio.run(publish(bus, [handled_by_dispatch(settings, case_id, 4, "换了阀门 valve replaced")]))
        (waiting,) = eventually(queue, what="the handled case in the call-back queue")
        assert (waiting["lead_department"], waiting["reopen_count"]) == ("chaoyang-housing", 0)
        unhappy = client.post(f"/cases/{case_id}/callback", headers=CALLER, json={
            "outcome": "unresolvable", "unresolvable_reason": "coordination_timeout", "satisfaction": "dissatisfied"})
        reopened = client.post(f"/cases/{case_id}/reopen", headers=CALLER, json={"reason": "still cold"})
        assert unhappy.status_code == 200 and reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "reopened" and queue() == []

        asyncio.run(publish(bus, [handled_by_dispatch(settings, case_id, 9, "锅炉检修 boiler serviced")]))
        (waiting,) = eventually(queue, what="the case back in the queue after its second handling")
        assert waiting["reopen_count"] == 1
        happy = client.post(f"/cases/{case_id}/callback", headers=CALLER,
                            json={"outcome": "resolved_satisfied", "satisfaction": "satisfied"})
        closed = client.post(f"/cases/{case_id}/close", headers=CALLER)
        too_late = client.post(f"/cases/{case_id}/reopen", headers=CALLER, json={"reason": "?"})
        open311 = client.get(f"/open311/v2/requests/{case_id}.json").json()[0]
        records = asyncio.run(read_topic(settings, settings.topic, 10))

    assert happy.status_code == 200 and closed.json()["status"] == "closed" and too_late.status_code == 409
    assert (open311["status"], open311["community"]) == ("closed", "Jinsong-3")
    mine = [decode_record(r.headers, r.value) for r in records if r.key == case_id.encode()]
    assert [e.type for e in mine if e.source == "/jiesu/intake"] == [
        "case.received.v1", "case.callback_due.v1", "case.callback_recorded.v1", "case.reopened.v1",
        "case.callback_due.v1", "case.callback_recorded.v1", "case.closed.v1"]
    handled_ids = [e.id for e in mine if e.type == "case.handled.v1"]
    assert [e.causationid for e in mine if e.type == "case.callback_due.v1"] == handled_ids
    reopen = next(e for e in mine if e.type == "case.reopened.v1")
    closing = next(e for e in mine if e.type == "case.closed.v1")
    assert reopen.data["reopen_count"] == 1 and reopen.data["reason"] == "still cold"
    assert (closing.data["outcome"], closing.data["satisfaction"]) == ("resolved_satisfied", "satisfied")


def test_case_handled_for_a_case_intake_never_received_is_dead_lettered(settings: IntakeSettings) -> None:
    bus = KafkaBus(settings.kafka_bootstrap_servers, client_id="fake-dispatch")
    with TestClient(build_app(settings), headers=RECORDER):
        asyncio.run(publish(bus, [handled_by_dispatch(settings, "no-such-case", 3, "done")]))
        (dead,) = asyncio.run(read_topic(settings, settings.dead_letter_topic, 1))
    assert dead.key == b"no-such-case" and b"never received by intake" in dead.header("dlq_reason")
