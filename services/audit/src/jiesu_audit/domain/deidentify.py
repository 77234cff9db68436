"""De-identification for research exports (pure: the key is given, nothing is read or written).

- A citizen (`contact.citizen_id`) becomes a keyed pseudonym, HMAC-SHA256 under a key that lives only
  for one export: stable within it, unlinkable across exports. The sealed ciphertext is never kept.
- A place keeps district, street, community and grid; the address and coordinates go.
- Every free-text string is scrubbed of mobile and landline numbers, ID-card numbers, e-mail
  addresses, house numbers and people's names, found by the shared kernel (`jiesu_shared.personal`:
  formats for the numbers, jieba's tagger and the context for names); then, more bluntly than intake
  needs to, of any remaining 15/18-digit run and 7–8-digit number (a local phone without area code).
  Identifiers and timestamps are kept as they are.
- Unknown event types get the same treatment, field by field, so nothing new slips through.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from jiesu_shared.personal import find_personal_data

DROPPED = frozenset({"address", "latitude", "longitude", "ciphertext", "key_id", "phone", "mobile", "telephone",
                      "name", "email", "id_number", "id_card", "coordinates"})
PLACE_KEEPS = ("district", "street", "community", "grid")
_PLACEHOLDERS = {"phone": "[电话]", "id": "[身份证号]", "email": "[邮箱]", "address": "[门牌]", "name": "[姓名]"}
_LEFTOVER_NUMBERS = (
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"), "[身份证号]"),
    (re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[- ]?)?[1-9]\d{6,7}(?!\d)"), "[电话]"),
)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# Personal data needs a digit, an "@" or a Chinese character: text with none (identifiers, English
# status words, most of an event log) is left alone without running the finder over it.
_MIGHT_IDENTIFY = re.compile(r"[\d@\u4e00-\u9fff]")


def scrub(text: str) -> str:
    if not _MIGHT_IDENTIFY.search(text):
        return text
    parts, position = [], 0
    for span in find_personal_data(text):
        parts += [text[position:span.start], _PLACEHOLDERS[span.kind]]
        position = span.end
    text = "".join(parts) + text[position:]
    for pattern, replacement in _LEFTOVER_NUMBERS:
        text = pattern.sub(replacement, text)
    return text


class Deidentifier:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must have at least 16 bytes")
        self._key = key

    def pseudonym(self, citizen_id: str) -> str:
        return "cit-" + hmac.new(self._key, citizen_id.encode(), hashlib.sha256).hexdigest()[:20]

    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k: self._value(k, v) for k, v in data.items() if k not in DROPPED}

    def _value(self, key: str, value: Any) -> Any:
        if key == "contact":
            return self._contact(value)
        if key == "place" and isinstance(value, dict):
            return {k: _keep_code(value.get(k)) for k in PLACE_KEEPS}
        if isinstance(value, dict):
            return self.data(value)
        if isinstance(value, list):
            return [self._value(key, v) for v in value]
        if isinstance(value, str) and not is_identifier(key, value):
            return scrub(value)
        return value

    def _contact(self, value: Any) -> dict[str, str] | None:
        if isinstance(value, dict) and isinstance(value.get("citizen_id"), str):
            return {"citizen": self.pseudonym(value["citizen_id"])}
        return None  # anything else in a contact field is personal data we cannot vouch for


def _keep_code(value: Any) -> Any:
    return scrub(value) if isinstance(value, str) else value


def is_identifier(key: str, value: str) -> bool:
    return key == "id" or key.endswith(("_id", "_ids")) or bool(ISO_TIME.match(value))
