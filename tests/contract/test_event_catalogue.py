"""Golden JSON per event type: what a consumer of the log (or a researcher) can rely on, byte for byte."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiesu_shared.catalogue import EVENT_TYPES, PayloadError, UnknownEventType, parse_payload, registry, upcast
from jiesu_shared.catalogue.dispatch import MeetingConvened
from jiesu_shared.catalogue.gateway import TaskReturned
from jiesu_shared.messagebus.tables import type_names
from jiesu_shared.events import DecodeError, Envelope, decode_record, encode_envelope

GOLDEN = Path(__file__).parent / "golden"
# Records of versions the catalogue has replaced: still on logs written before, read through an upcaster.
UPCAST_GOLDEN = GOLDEN / "upcast"


def test_every_catalogued_type_has_a_golden_document_and_no_golden_is_orphaned() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(EVENT_TYPES)


def test_every_upcast_version_keeps_a_golden_record_of_what_the_log_holds() -> None:
    assert {p.stem for p in UPCAST_GOLDEN.glob("*.json")} == set(registry.UPCASTERS)
    assert not set(registry.UPCASTERS) & set(EVENT_TYPES)  # a replaced version has no model of its own


@pytest.mark.parametrize("type_name", sorted(registry.UPCASTERS))
def test_a_record_of_a_replaced_version_reads_as_the_current_model(type_name: str) -> None:
    envelope = Envelope.model_validate_json((UPCAST_GOLDEN / f"{type_name}.json").read_text(encoding="utf-8"))
    current, _ = registry.UPCASTERS[type_name]
    payload = parse_payload(envelope.type, envelope.data)
    assert type(payload) is EVENT_TYPES[current]
    _, headers, value = encode_envelope(envelope)  # and from Kafka's binary mode, as a consumer gets it
    event = decode_record(headers, value)
    assert parse_payload(event.type, event.data) == payload


def test_an_old_task_rejected_record_is_read_as_task_returned() -> None:
    document = json.loads((UPCAST_GOLDEN / "task.rejected.v1.json").read_text(encoding="utf-8"))
    payload = parse_payload(document["type"], document["data"])
    assert isinstance(payload, TaskReturned)
    data = document["data"]
    assert payload.model_dump(mode="json") == _normalised(
        {**{k: v for k, v in data.items() if k != "rejected_at"}, "returned_at": data["rejected_at"]})
    assert type_names({TaskReturned: None}) == ["task.returned.v2", "task.rejected.v1"]  # consumers subscribe to both
    assert upcast("task.returned.v2", data) == ("task.returned.v2", data)  # a current version passes unchanged


def test_an_old_meeting_convened_record_keeps_its_person_and_has_no_street_office() -> None:
    """v1's `convened_by` held the coordinator who convened it; which street office they convened for was never
    recorded, so the upcast record says unknown (None) rather than a guess."""
    document = json.loads((UPCAST_GOLDEN / "meeting.convened.v1.json").read_text(encoding="utf-8"))
    payload = parse_payload(document["type"], document["data"])
    assert isinstance(payload, MeetingConvened)
    assert (payload.convened_by, payload.street_office) == ("wang.li", None)
    assert payload.model_dump(mode="json") == _normalised({**document["data"], "street_office": None})
    assert type_names({MeetingConvened: None}) == ["meeting.convened.v2", "meeting.convened.v1"]
    current = json.loads((GOLDEN / "meeting.convened.v2.json").read_text(encoding="utf-8"))["data"]
    assert upcast("meeting.convened.v2", current) == ("meeting.convened.v2", current)


def test_a_new_meeting_convened_record_must_say_its_street_office_even_if_unknown() -> None:
    data = json.loads((GOLDEN / "meeting.convened.v2.json").read_text(encoding="utf-8"))["data"]
    without = {k: v for k, v in data.items() if k != "street_office"}
    with pytest.raises(PayloadError, match="street_office"):
        parse_payload("meeting.convened.v2", without)
    assert parse_payload("meeting.convened.v1", without).street_office is None  # only the old version lacks it


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_golden_document_parses_and_serialises_back_unchanged(type_name: str) -> None:
    document = json.loads((GOLDEN / f"{type_name}.json").read_text(encoding="utf-8"))
    envelope = Envelope.model_validate(document)
    payload = parse_payload(envelope.type, envelope.data)
    assert payload.model_dump(mode="json") == _normalised(document["data"])


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_kafka_binary_mode_round_trip(type_name: str) -> None:
    envelope = Envelope.model_validate_json((GOLDEN / f"{type_name}.json").read_text(encoding="utf-8"))
    key, headers, value = encode_envelope(envelope)
    names = dict(headers)
    assert key == envelope.subject.encode()
    assert names["ce_type"] == type_name.encode() and names["ce_specversion"] == b"1.0"
    assert names["content-type"] == b"application/json"
    assert json.loads(value) == envelope.data  # data travels alone in the value, attributes in headers
    assert decode_record(headers, value) == envelope


def test_a_record_without_cloudevents_headers_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="ce_id"):
        decode_record([("ce_type", b"case.received.v1")], b"{}")


def test_unknown_types_and_bad_payloads_are_told_apart() -> None:
    with pytest.raises(UnknownEventType):
        parse_payload("case.teleported.v1", {})
    with pytest.raises(PayloadError, match="case.received.v1"):
        parse_payload("case.received.v1", {"case_id": "x"})


def _normalised(data: dict) -> dict:
    """Datetimes come back in pydantic's canonical form; compare them as instants."""
    from datetime import datetime

    def norm(v):  # type: ignore[no-untyped-def]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, str) and len(v) >= 20 and v[4] == "-" and "T" in v:
            try:
                return datetime.fromisoformat(v.replace("Z", "+00:00")).isoformat().replace("+00:00", "Z")
            except ValueError:
                return v
        return v

    return norm(data)


def test_an_old_version_is_upcast_to_the_current_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from jiesu_shared.catalogue import registry

    def from_v0(data: dict) -> dict:  # v0 called the lead "department" and had no supporters
        return {"case_id": data["case_id"], "lead_department": data["department"], "supporting_departments": [],
                "rule": data["rule"]}

    monkeypatch.setitem(registry.UPCASTERS, "case.dispatched.v0", ("case.dispatched.v1", from_v0))
    payload = parse_payload("case.dispatched.v0", {"case_id": "c1", "department": "housing", "rule": "r1"})
    assert payload.lead_department == "housing" and type(payload).__name__ == "CaseDispatched"


@pytest.mark.parametrize("type_name", ["case.dispatched.v1", "task.offered.v1"])
def test_a_dispatch_or_offer_written_before_the_sla_policy_version_still_parses(type_name: str) -> None:
    """An added optional field keeps the type's version: older records read with no version."""
    data = json.loads((GOLDEN / f"{type_name}.json").read_text(encoding="utf-8"))["data"]
    older = {k: v for k, v in data.items() if k != "sla_policy_version"}
    assert parse_payload(type_name, data).sla_policy_version == data["sla_policy_version"]
    assert parse_payload(type_name, older).sla_policy_version is None
