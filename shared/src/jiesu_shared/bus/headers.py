"""Record headers stored as text (in the embedded log and the outbox).

A JSON object `{"h": [[name, value], ...]}` in which a value is the header's UTF-8 text, or its base64
for bytes that are not UTF-8, whose positions are listed under "b64". Reading text back is one JSON
parse and no base64 — replays read millions of records. The first format, a JSON list of
`[name, base64 value]`, is still read.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence

import orjson


def headers_to_text(headers: Sequence[tuple[str, bytes]]) -> str:
    pairs: list[list[str]] = []
    binary: list[int] = []
    for name, value in headers:
        try:
            pairs.append([name, value.decode()])
        except UnicodeDecodeError:
            binary.append(len(pairs))
            pairs.append([name, base64.b64encode(value).decode()])
    document = {"h": pairs, "b64": binary} if binary else {"h": pairs}
    return orjson.dumps(document).decode()  # as json.dumps(ensure_ascii=False, compact) writes it, ~5× cheaper


def header_values_from_text(text: str) -> list[tuple[str, str | bytes]]:
    """The headers with text values left as `str`, which `decode_record` takes as they are."""
    parsed = orjson.loads(text)
    if isinstance(parsed, list):  # the first format
        return [(name, base64.b64decode(value)) for name, value in parsed]
    binary = set(parsed.get("b64", ()))
    return [(name, base64.b64decode(value) if i in binary else value) for i, (name, value) in enumerate(parsed["h"])]


def header_map_from_text(text: str) -> dict[str, str | bytes]:
    """The headers by name (the last of a repeated name wins), text values as `str`: for bulk reading."""
    texts = text_header_map(text)
    return dict(header_values_from_text(text)) if texts is None else texts  # type: ignore[return-value]


def text_header_map(text: str) -> dict[str, str] | None:
    """The headers by name when every value is text — the usual case, one parse, built in C — else None."""
    parsed = orjson.loads(text)
    if isinstance(parsed, dict) and "b64" not in parsed:
        return dict(parsed["h"])
    return None


def headers_from_text(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, value.encode() if isinstance(value, str) else value)
                 for name, value in header_values_from_text(text))
