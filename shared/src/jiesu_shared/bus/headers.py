"""Record headers stored as text (in the embedded log and the outbox): JSON list of [name, base64 value]."""
from __future__ import annotations

import base64
import json
from collections.abc import Sequence


def headers_to_text(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[k, base64.b64encode(v).decode()] for k, v in headers])


def headers_from_text(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, base64.b64decode(v)) for k, v in json.loads(text))
