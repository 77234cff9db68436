"""De-identification for research exports (pure: the key is given, nothing is read or written).

- A citizen (`contact.citizen_id`) becomes a keyed pseudonym, HMAC-SHA256 under a key that lives only
  for one export: stable within it, unlinkable across exports. The sealed ciphertext is never kept.
- A place keeps district, street, community and grid; the address and coordinates go.
- Every free-text string is scrubbed of mobile and landline numbers, ID-card numbers, e-mail
  addresses and house numbers, and of names where the text introduces them (我是…, …先生).
  Identifiers and timestamps are kept as they are.
- Unknown event types get the same treatment, field by field, so nothing new slips through.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

_DROPPED = frozenset({"address", "latitude", "longitude", "ciphertext", "key_id", "phone", "mobile", "telephone",
                      "name", "email", "id_number", "id_card", "coordinates"})
_PLACE_KEEPS = ("district", "street", "community", "grid")
_SCRUBS = (
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"), "[身份证号]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[邮箱]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[电话]"),
    (re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[- ]?)?[1-9]\d{6,7}(?!\d)"), "[电话]"),
    (re.compile(r"\d+\s*(?:号院|号楼|号|栋|幢|单元|室|层)"), "[门牌]"),
    # self-introductions and forms of address: a heuristic, names elsewhere in free text stay (see README)
    (re.compile(r"(我是|我叫|本人|姓名[:：]?)\s*[\u4e00-\u9fff]{2,3}(?=[，,。.\s]|$)"), r"\1[姓名]"),
    (re.compile(r"[\u4e00-\u9fff](先生|女士|小姐|师傅|阿姨|大爷|大妈)"), r"[姓名]\1"),
)
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# Every pattern above needs a digit, an "@" or one of these words: text with none is left alone
# without running seven patterns over it (most free text in an event log has none).
_MIGHT_IDENTIFY = re.compile(r"[\d@]|我是|我叫|本人|姓名|先生|女士|小姐|师傅|阿姨|大爷|大妈")


def scrub(text: str) -> str:
    if not _MIGHT_IDENTIFY.search(text):
        return text
    for pattern, replacement in _SCRUBS:
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
        return {k: self._value(k, v) for k, v in data.items() if k not in _DROPPED}

    def _value(self, key: str, value: Any) -> Any:
        if key == "contact":
            return self._contact(value)
        if key == "place" and isinstance(value, dict):
            return {k: _keep_code(value.get(k)) for k in _PLACE_KEEPS}
        if isinstance(value, dict):
            return self.data(value)
        if isinstance(value, list):
            return [self._value(key, v) for v in value]
        if isinstance(value, str) and not _is_identifier(key, value):
            return scrub(value)
        return value

    def _contact(self, value: Any) -> dict[str, str] | None:
        if isinstance(value, dict) and isinstance(value.get("citizen_id"), str):
            return {"citizen": self.pseudonym(value["citizen_id"])}
        return None  # anything else in a contact field is personal data we cannot vouch for


def _keep_code(value: Any) -> Any:
    return scrub(value) if isinstance(value, str) else value


def _is_identifier(key: str, value: str) -> bool:
    return key == "id" or key.endswith(("_id", "_ids")) or bool(_ISO_TIME.match(value))
