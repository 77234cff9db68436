"""Golden JSON per event type: what a consumer of the log (or a researcher) can rely on, byte for byte."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiesu_shared.catalogue import EVENT_TYPES, PayloadError, UnknownEventType, parse_payload
from jiesu_shared.events import DecodeError, Envelope, decode_record, encode_envelope

GOLDEN = Path(__file__).parent / "golden"


def test_every_catalogued_type_has_a_golden_document_and_no_golden_is_orphaned() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(EVENT_TYPES)


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
