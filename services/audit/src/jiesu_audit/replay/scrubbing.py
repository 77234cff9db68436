"""The de-identifier as a replay uses it: the same rules, with the outcome for each distinct text
remembered (bounded), since a log repeats its texts — an offer's summary is the case's text again, a
department's standard notes recur, timestamps and status words come back on every event — and finding
names (jieba) is the costliest step of an export. Whether a field holds an identifier depends on its
name only (or on the text being a timestamp, which is remembered with the text): decided once per name."""
from __future__ import annotations

from typing import Any

from jiesu_audit.domain import deidentify
from jiesu_audit.domain.deidentify import Deidentifier

_REMEMBERED_TEXTS = 100_000  # about 30 MB at most: memory stays flat however long the log
_DROPPED = deidentify._DROPPED
_GENERAL = frozenset({"contact", "place"})  # fields with rules of their own: the general path


def _kept_text(text: str) -> str:
    """A text in a field that is not an identifier: kept when it is a timestamp, else scrubbed."""
    return text if deidentify._ISO_TIME.match(text) else deidentify.scrub(text)


class ReplayDeidentifier(Deidentifier):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self._texts: dict[str, str] = {}
        self._identifier_names: dict[str, bool] = {}

    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in data.items():
            if key in _DROPPED:
                continue
            if value.__class__ is str and key not in _GENERAL:
                out[key] = value if self._names_identifier(key) else self._text(value)
            elif value is None or value.__class__ is int or value.__class__ is bool or value.__class__ is float:
                out[key] = value if key not in _GENERAL else self._value(key, value)
            else:
                out[key] = self._value(key, value)
        return out

    def _value(self, key: str, value: Any) -> Any:
        if value.__class__ is str and key not in _GENERAL:
            return value if self._names_identifier(key) else self._text(value)
        return super()._value(key, value)

    def _names_identifier(self, key: str) -> bool:
        known = self._identifier_names.get(key)
        if known is None:  # a few dozen field names in a whole log
            known = self._identifier_names[key] = deidentify._is_identifier(key, "")
        return known

    def _text(self, text: str) -> str:
        kept = self._texts.get(text)
        if kept is None:
            if len(self._texts) >= _REMEMBERED_TEXTS:  # bounded: forget all, relearn the recurring ones
                self._texts.clear()
            kept = self._texts[text] = _kept_text(text)
        return kept
