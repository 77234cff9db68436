"""The export's own decoding of the embedded log's records gives exactly what the shared codec's reading
gives — the same de-identified CloudEvent, the same time, the same poison report — for every golden event
and for records that are unusual, valid or not (those it leaves to the codec)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiesu_shared.bus.headers import headers_to_text
from jiesu_shared.events import Envelope, encode_envelope

from jiesu_audit.replay.decoding import from_item, from_stored
from jiesu_audit.replay.scrubbing import ReplayDeidentifier
from jiesu_audit.replay.sources import from_stored_record

GOLDENS = sorted((Path(__file__).parent / "golden").glob("*.json"))
KEY = b"k" * 32


def _stored(path: Path) -> tuple[str, bytes]:
    envelope = Envelope.model_validate_json(path.read_text(encoding="utf-8"))
    _, headers, value = encode_envelope(envelope)
    return headers_to_text(headers), value


def _both(headers_text: str, value: bytes | None):
    """(the export's decoding, the codec's), each with a de-identifier of its own under the same key."""
    ours = from_stored(7, headers_text, value, ReplayDeidentifier(KEY))
    codecs = from_item(from_stored_record(7, headers_text, value), ReplayDeidentifier(KEY))
    return ours, codecs


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_every_golden_event_decodes_as_the_codec_reads_it(path: Path) -> None:
    ours, codecs = _both(*_stored(path))
    assert ours.doc is not None and ours == codecs


def _with_header(name: str, value: object) -> tuple[str, bytes]:
    headers_text, data = _stored(GOLDENS[0])
    pairs = [pair for pair in json.loads(headers_text)["h"] if pair[0] != name]
    if value is not None:
        pairs.append([name, value])
    return json.dumps({"h": pairs}), data


@pytest.mark.parametrize(("name", "value"), [
    ("ce_time", "2026-11-01T08:00:00.000000+00:00"),  # a zero fraction: isoformat leaves it out
    ("ce_time", "2026-11-01T08:00:00+00:00"),
    ("ce_time", "2026-11-01T16:00:00.5+08:00"),  # another offset, a short fraction
    ("ce_time", "2026-11-01 16:00:00+08:00"),  # a space: the model decides
    ("ce_time", "2026-W44-7T08:00:00+00:00"),  # a week date
    ("ce_time", "2026-11-01T08:00:00"),  # no offset: poison
    ("ce_time", "yesterday"),
    ("ce_sequence", "0"), ("ce_sequence", "one"), ("ce_sequence", 12),  # a number, not text
    ("ce_type", "CaseReceived"), ("ce_specversion", "0.3"), ("ce_id", ""), ("ce_id", None),
    ("ce_causationid", 5), ("ce_traceparent", ["x"]),
])
def test_an_unusual_record_decodes_as_the_codec_reads_it(name: str, value: object) -> None:
    ours, codecs = _both(*_with_header(name, value))
    assert ours == codecs


@pytest.mark.parametrize("value", [b"", None, b"[1]", b"{", b"\xff poison", b'"text"'])
def test_data_that_is_not_a_json_object_is_poison_as_the_codec_says(value: bytes | None) -> None:
    headers_text, _ = _stored(GOLDENS[0])
    ours, codecs = _both(headers_text, value)
    assert ours.doc is None and ours == codecs


@pytest.mark.parametrize("headers_text", ['{"h":[["ce_id","YQ=="]],"b64":[0]}', "[]", "not json", '{"h":5}'])
def test_headers_in_another_form_are_read_by_the_codec(headers_text: str) -> None:
    _, value = _stored(GOLDENS[0])
    ours, codecs = _both(headers_text, value)
    assert ours == codecs


def test_headers_without_their_list_are_poison_not_a_failed_export() -> None:
    _, value = _stored(GOLDENS[0])
    decoded = from_stored(7, "{}", value, ReplayDeidentifier(KEY))
    assert decoded.doc is None and decoded.poison is not None
    assert decoded.poison["offset"] == 7 and "undecodable record" in decoded.poison["reason"]
