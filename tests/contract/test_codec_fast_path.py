"""Decoding a record without pydantic (the bulk path replays use) accepts and refuses exactly what the
envelope model does, and says why in the same words."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiesu_shared.bus.headers import header_map_from_text, header_values_from_text, headers_to_text
from jiesu_shared.events import (DecodeError, Envelope, EventView, decode_event, decode_record, encode_envelope,
                                 plain_structured_event)

from jiesu_audit.replay.sources import from_stored_record

GOLDEN = Path(__file__).parent / "golden"
GOLDENS = sorted(GOLDEN.glob("*.json"))


def _record(path: Path) -> tuple[Envelope, list[tuple[str, bytes]], bytes]:
    envelope = Envelope.model_validate_json(path.read_text(encoding="utf-8"))
    _, headers, value = encode_envelope(envelope)
    return envelope, headers, value


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_the_bulk_decoder_gives_the_same_event_as_the_model(path: Path) -> None:
    envelope, headers, value = _record(path)
    event = decode_event(dict(headers), value)
    assert isinstance(event, EventView)  # the cheap path was taken for a well-formed record
    assert {name: getattr(event, name) for name in Envelope.model_fields} == envelope.model_dump()
    assert decode_record(headers, value) == envelope


def _changed(name: str, value: bytes | None) -> tuple[dict[str, bytes], bytes]:
    _, headers, data = _record(GOLDENS[0])
    changed = dict(headers)
    if value is None:
        del changed[name]
    else:
        changed[name] = value
    return changed, data


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("ce_time", b"2026-11-01T08:00:00", "time must carry a UTC offset"),
    ("ce_time", b"yesterday", "time"),
    ("ce_sequence", b"0", "sequence"),
    ("ce_sequence", b"one", "sequence"),
    ("ce_type", b"CaseReceived", "type"),
    ("ce_type", b"case.received.v1\n", "type"),
    ("ce_specversion", b"0.3", "specversion"),
    ("ce_id", b"", "id"),
    ("ce_id", b"\xff\xfe", "ce_id is not UTF-8"),
    ("ce_correlationid", None, "missing CloudEvents headers: ce_correlationid"),
])
def test_what_the_model_refuses_the_bulk_decoder_refuses_with_its_reason(name: str, value: bytes | None,
                                                                          reason: str) -> None:
    headers, data = _changed(name, value)
    with pytest.raises(DecodeError, match=reason) as by_model:
        decode_record(list(headers.items()), data)
    with pytest.raises(DecodeError) as in_bulk:
        decode_event(headers, data)
    assert str(in_bulk.value) == str(by_model.value)


def test_an_unusual_but_valid_time_is_left_to_the_model_and_accepted() -> None:
    headers, data = _changed("ce_time", b"2026-11-01 16:00:00+08:00")  # a space, another offset
    event = decode_event(headers, data)
    assert isinstance(event, Envelope) and event.time.isoformat() == "2026-11-01T08:00:00+00:00"


def test_data_that_is_not_a_json_object_is_refused() -> None:
    headers, _ = _changed("ce_id", b"x")
    for value, reason in ((b"[1]", "data must be a JSON object"), (b"{", "data is not JSON")):
        with pytest.raises(DecodeError, match=reason):
            decode_event(headers, value)


def test_stored_headers_keep_text_and_bytes_and_their_order() -> None:
    headers = [("ce_id", "事件-1".encode()), ("trace", b"\xff\x00"), ("ce_id", b"again")]
    text = headers_to_text(headers)
    assert header_values_from_text(text) == [("ce_id", "事件-1"), ("trace", b"\xff\x00"), ("ce_id", "again")]
    assert header_map_from_text(text) == {"ce_id": "again", "trace": b"\xff\x00"}
    assert "事件-1" in text  # text is stored as text, not base64


def test_headers_stored_in_the_first_format_are_still_read() -> None:
    first_format = '[["ce_id", "ZS0x"], ["raw", "/w=="]]'  # [name, base64 value]
    assert header_values_from_text(first_format) == [("ce_id", b"e-1"), ("raw", b"\xff")]
    assert header_map_from_text(first_format) == {"ce_id": b"e-1", "raw": b"\xff"}


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_a_structured_cloudevent_reads_the_same_without_the_model(path: Path) -> None:
    envelope = Envelope.model_validate_json(path.read_text(encoding="utf-8"))
    event = plain_structured_event(envelope.model_dump_json())
    assert event is not None
    assert {name: getattr(event, name) for name in Envelope.model_fields} == envelope.model_dump()


@pytest.mark.parametrize("change", [
    {"sequence": "1.0"}, {"sequence": "-1"}, {"sequence": "00000000000000000000"}, {"sequence": True}, {"sequence": 0}, {"time": "2026-11-01T08:00:00"}, {"id": 7},
    {"data": [1]}, {"datacontenttype": "text/plain"}, {"type": "CaseReceived"}, {"causationid": 3},
])
def test_a_structured_cloudevent_that_is_not_plainly_valid_is_left_to_the_model(change: dict) -> None:
    document = {**json.loads(GOLDENS[0].read_text(encoding="utf-8")), **change}
    assert plain_structured_event(json.dumps(document)) is None


def test_a_zero_padded_sequence_reads_as_the_number_a_json_number_gave() -> None:
    """Audit's exports write CloudEvents' `sequence` as a zero-padded string; older ones wrote a number."""
    document = json.loads(GOLDENS[0].read_text(encoding="utf-8"))
    padded = plain_structured_event(json.dumps({**document, "sequence": f"{document['sequence']:020d}"}))
    assert padded is not None and padded == plain_structured_event(json.dumps(document))


@pytest.mark.parametrize("path", GOLDENS[:3], ids=lambda p: p.stem)
def test_a_stored_record_reads_the_same_through_the_text_path(path: Path) -> None:
    envelope, headers, value = _record(path)
    item = from_stored_record(7, headers_to_text(headers), value)
    assert item.poison_reason is None and item.offset == 7
    assert {name: getattr(item.envelope, name) for name in Envelope.model_fields} == envelope.model_dump()


@pytest.mark.parametrize("headers_text", ['{"h": [["ce_sequence", 3]]}', '{"h": 5}', "{}", "not json"])
def test_a_stored_record_with_malformed_headers_is_poison_with_a_reason(headers_text: str) -> None:
    _, _, value = _record(GOLDENS[0])
    item = from_stored_record(7, headers_text, value)
    assert item.envelope is None and item.poison_reason and item.poison_bytes == value


def test_the_sequence_header_orders_as_text_and_records_written_before_still_read() -> None:
    """CloudEvents' Sequence extension is a lexicographically ordered string: "…010" sorts after "…009" on the log
    too, as in the exports; a record written before the padding ("10") is the same event."""
    envelope, headers, value = _record(GOLDENS[0])
    texts = [dict(encode_envelope(envelope.model_copy(update={"sequence": n}))[1])["ce_sequence"] for n in (9, 10)]
    assert texts == [b"00000000000000000009", b"00000000000000000010"] and sorted(texts) == texts
    for sequence in (b"10", b"00000000000000000010"):
        before = {**dict(headers), "ce_sequence": sequence}
        assert decode_event(before, value).sequence == 10
        assert decode_record(list(before.items()), value).sequence == 10
