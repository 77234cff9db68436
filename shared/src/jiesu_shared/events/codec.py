"""CloudEvents Kafka protocol binding, binary content mode: attributes in `ce_*` headers, data as JSON value."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError

from jiesu_shared.events.envelope import Envelope

CONTENT_TYPE = "application/json"
_ATTRIBUTES = ("id", "source", "type", "subject", "time", "specversion", "sequence",
               "correlationid", "causationid", "traceparent")

Headers = Sequence[tuple[str, bytes]]


class DecodeError(ValueError):
    """A record that is not a valid Jiesu CloudEvent; it belongs in the dead-letter topic."""


def encode_envelope(envelope: Envelope) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """Return (key, headers, value) for a Kafka record."""
    headers: list[tuple[str, bytes]] = [("content-type", CONTENT_TYPE.encode())]
    for name in _ATTRIBUTES:
        value = getattr(envelope, name)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        headers.append((f"ce_{name}", text.encode()))
    value = json.dumps(envelope.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return envelope.subject.encode(), headers, value.encode()


def decode_record(headers: Headers, value: bytes | None) -> Envelope:
    attributes: dict[str, str] = {}
    for name, raw in headers or ():
        if name.startswith("ce_"):
            try:
                attributes[name[3:]] = raw.decode()
            except (UnicodeDecodeError, AttributeError) as exc:
                raise DecodeError(f"header {name} is not UTF-8") from exc
    missing = [n for n in ("id", "source", "type", "subject", "time", "specversion", "sequence", "correlationid")
               if n not in attributes]
    if missing:
        raise DecodeError(f"missing CloudEvents headers: {', '.join('ce_' + n for n in missing)}")
    try:
        data = json.loads(value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"data is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DecodeError("data must be a JSON object")
    try:
        return Envelope(**{k: v for k, v in attributes.items() if k in _ATTRIBUTES}, data=data)
    except ValidationError as exc:
        raise DecodeError(f"invalid CloudEvents attributes: {exc.errors(include_url=False)}") from exc
