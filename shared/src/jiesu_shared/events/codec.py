"""CloudEvents Kafka protocol binding, binary content mode: attributes in `ce_*` headers, data as JSON value."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from jiesu_shared.events.envelope import TYPE_PATTERN, Envelope
from jiesu_shared.events.view import EventView

CONTENT_TYPE = "application/json"
_ATTRIBUTES = ("id", "source", "type", "subject", "time", "specversion", "sequence",
               "correlationid", "causationid", "traceparent")
_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_specversion", "ce_sequence",
             "ce_correlationid")
_TYPE = re.compile(TYPE_PATTERN)

# A header value as bytes (from Kafka), or as text already (the embedded log stores text).
Headers = Sequence[tuple[str, bytes | str]]


class DecodeError(ValueError):
    """A record that is not a valid Jiesu CloudEvent; it belongs in the dead-letter topic."""


def describe_invalid(exc: ValidationError) -> str:
    """Which fields broke which rule, never the values: reasons travel to dead letters and logs.
    (pydantic's own messages name the rule only; our validators' messages must not quote the value.)"""
    return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(whole)'}: {e['msg']} ({e['type']})"
                     for e in exc.errors(include_input=False, include_url=False, include_context=False))


SEQUENCE_DIGITS = 20  # any 64-bit number: the text sorts as the number does


def sequence_text(sequence: int) -> str:
    """CloudEvents' Sequence extension: a string that orders lexicographically ("…010" after "…009"). Read back,
    any run of digits is the number (records written before the padding say "10")."""
    return f"{sequence:0{SEQUENCE_DIGITS}d}"


def encode_envelope(envelope: Envelope) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """Return (key, headers, value) for a Kafka record."""
    headers: list[tuple[str, bytes]] = [("content-type", CONTENT_TYPE.encode())]
    for name in _ATTRIBUTES:
        value = getattr(envelope, name)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else \
            sequence_text(value) if name == "sequence" else str(value)
        headers.append((f"ce_{name}", text.encode()))
    return envelope.subject.encode(), headers, data_bytes(envelope.data)


def data_bytes(data: dict[str, Any]) -> bytes:
    """The event's data as compact UTF-8 JSON with sorted keys. orjson writes what the standard library does
    (but numbers under 1e-4 without an exponent) at about a fifteenth of its cost, on every event produced; what it
    refuses (an integer beyond 64 bits) the standard library writes."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def decode_record(headers: Headers, value: bytes | None) -> Envelope:
    attributes = _text_attributes(dict(headers or ()))
    data = _data(attributes, value)
    view = _plainly_valid(attributes, data)
    return _validated(attributes, data) if view is None else Envelope.from_checked(_fields(view))


def decode_event(headers: Mapping[str, bytes | str], value: bytes | None) -> EventView | Envelope:
    """For bulk reading: the same checks and errors as `decode_record`, from headers by name, and
    usually a cheap `EventView` instead of an `Envelope` (which it gives when pydantic had to decide)."""
    return decode_text_event(_text_attributes(headers), value)


def decode_text_event(headers: Mapping[str, str], value: bytes | None) -> EventView | Envelope:
    """`decode_event` for headers whose values are all text already (the embedded log's usual case):
    no per-header check and copy. Headers other than `ce_*` are ignored, as there."""
    data = _data(headers, value)
    view = _plainly_valid(headers, data)
    return _validated(headers, data) if view is None else view


def plain_structured_event(line: bytes | str) -> EventView | None:
    """A CloudEvent in structured mode (one JSON object, as audit exports them) as an EventView, when it
    is plainly valid; None when the envelope model must decide (and explain what is wrong)."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(doc) is not dict or type(doc.get("data")) is not dict \
            or doc.get("datacontenttype", CONTENT_TYPE) != CONTENT_TYPE:
        return None
    # Upcaster: `sequence` was a JSON number in exports before it became CloudEvents' lexicographically
    # ordered string (zero-padded digits); both read as the same number.
    sequence = doc.get("sequence")
    if not (type(sequence) is int or (type(sequence) is str and sequence.isdigit() and sequence.isascii())):
        return None
    attributes = {"ce_" + name: doc.get(name) for name in _ATTRIBUTES}
    attributes["ce_sequence"] = str(int(sequence))
    if any(type(attributes[name]) is not str for name in _REQUIRED) or \
            any(type(attributes[name]) not in (str, type(None)) for name in ("ce_causationid", "ce_traceparent")):
        return None
    return _plainly_valid(attributes, doc["data"])


def _text_attributes(headers: Mapping[str, bytes | str]) -> dict[str, str]:
    try:
        return {name: raw if type(raw) is str else raw.decode() for name, raw in headers.items() if name[:3] == "ce_"}
    except (UnicodeDecodeError, AttributeError) as exc:
        bad = next(name for name, raw in headers.items() if name[:3] == "ce_" and not _is_text(raw))
        raise DecodeError(f"header {bad} is not UTF-8") from exc


def _is_text(raw: bytes | str) -> bool:
    try:
        return type(raw) is str or bool(raw.decode()) or True
    except (UnicodeDecodeError, AttributeError):
        return False


def _data(attributes: Mapping[str, str], value: bytes | None) -> dict[str, Any]:
    missing = [name for name in _REQUIRED if name not in attributes]
    if missing:
        raise DecodeError(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"data is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DecodeError("data must be a JSON object")
    return data


def _plainly_valid(a: Mapping[str, str], data: dict[str, Any]) -> EventView | None:
    """The event, when every attribute is plainly valid — the usual case — checked without pydantic,
    which is several times slower. Anything unusual returns None: pydantic then decides and explains."""
    checked = plain_time_and_sequence(a)
    if checked is None:
        return None
    time, number = checked
    return EventView(a["ce_id"], a["ce_source"], a["ce_type"], a["ce_subject"],
                     time if time.tzinfo is UTC else time.astimezone(UTC), number,
                     a["ce_correlationid"], a.get("ce_causationid"), a.get("ce_traceparent"), data)


def plain_time_and_sequence(a: Mapping[str, str]) -> tuple[datetime, int] | None:
    """The event's time and sequence number when its text attributes are plainly valid, else None."""
    sequence, stamp = a["ce_sequence"], a["ce_time"]
    if not (sequence.isdigit() and sequence.isascii() and a["ce_specversion"] == "1.0"
            and stamp[4:5] == "-" and stamp[10:11] == "T"  # extended ISO 8601, as encode_envelope writes
            and a["ce_id"] and a["ce_source"] and a["ce_subject"] and _plain_type(a["ce_type"])):
        return None
    try:
        time = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    number = int(sequence)
    return (time, number) if time.tzinfo is not None and number >= 1 else None


@lru_cache(maxsize=4096)  # a log has a few dozen type names: each matched once
def _plain_type(kind: str) -> bool:
    return _TYPE.fullmatch(kind) is not None


def _fields(view: EventView) -> dict[str, Any]:
    return {**view._asdict(), "specversion": "1.0", "datacontenttype": CONTENT_TYPE}


def _validated(attributes: Mapping[str, str], data: dict[str, Any]) -> Envelope:
    try:
        given = {name[3:]: v for name, v in attributes.items() if name.startswith("ce_") and name[3:] in _ATTRIBUTES}
        return Envelope(**given, data=data)
    except ValidationError as exc:
        raise DecodeError(f"invalid CloudEvents attributes: {describe_invalid(exc)}") from exc
