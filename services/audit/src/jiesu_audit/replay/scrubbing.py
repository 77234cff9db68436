"""The de-identifier as a replay uses it: the same rules, with the outcome for each distinct text
remembered (bounded), since a log repeats its texts — an offer's summary is the case's text again, a
department's standard notes recur, timestamps and status words come back on every event — and finding
names (jieba) is the costliest step of an export. Whether a field holds an identifier depends on its
name only (or on the text being a timestamp, which is remembered with the text): decided once per name.
A place is remembered by its codes (district, street, community, grid), which recur on most events."""
from __future__ import annotations

from typing import Any

from jiesu_audit.domain import deidentify
from jiesu_audit.domain.deidentify import Deidentifier

_REMEMBERED_TEXTS = 100_000  # about 30 MB at most: memory stays flat however long the log
_REMEMBERED_NAMES = 10_000
_DROPPED = deidentify.DROPPED
_PLACE_KEEPS = deidentify.PLACE_KEEPS
_GENERAL = frozenset({"contact", "place"})  # fields with rules of their own: the general path


_DROP, _KEEP, _TEXT, _OWN_RULES = range(4)  # what a field's name says to do with a text in it


class ReplayDeidentifier(Deidentifier):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self._texts: dict[str, str] = {}
        self._plans: dict[str, int] = {}
        self._places: dict[tuple, dict[str, Any]] = {}

    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        out, plans, texts = {}, self._plans, self._texts
        for key, value in data.items():
            plan = plans.get(key)
            if plan is None:
                plan = self._plan(key)
            if plan == _DROP:
                continue
            if plan == _OWN_RULES:
                out[key] = self._place(value) if key == "place" else self._value(key, value)
            elif value.__class__ is str:
                if plan == _KEEP:
                    out[key] = value
                elif (kept := texts.get(value)) is not None:
                    out[key] = kept
                else:
                    out[key] = self._text(value)
            elif value is None or value.__class__ is int or value.__class__ is bool or value.__class__ is float:
                out[key] = value
            else:
                out[key] = self._value(key, value)
        return out

    def _plan(self, key: str) -> int:
        if len(self._plans) >= _REMEMBERED_NAMES:  # a few dozen names in a whole log; bounded all the same
            self._plans.clear()
        plan = self._plans[key] = (_DROP if key in _DROPPED else _OWN_RULES if key in _GENERAL
                                   else _KEEP if deidentify.is_identifier(key, "") else _TEXT)
        return plan

    def _value(self, key: str, value: Any) -> Any:
        if value.__class__ is str and key not in _GENERAL:
            plan = self._plans.get(key)
            return value if (self._plan(key) if plan is None else plan) == _KEEP else self._text(value)
        return super()._value(key, value)

    def _place(self, value: Any) -> Any:
        """A place as the general rule keeps it, remembered by its codes: a district has few places."""
        if value.__class__ is not dict:
            return self._value("place", value)
        codes = tuple(value.get(k) for k in _PLACE_KEEPS)
        if not all(c is None or c.__class__ is str for c in codes):  # unusual: not remembered
            return self._value("place", value)
        kept = self._places.get(codes)
        if kept is None:
            if len(self._places) >= _REMEMBERED_TEXTS:
                self._places.clear()
            kept = self._places[codes] = self._value("place", value)
        return dict(kept)

    def _text(self, text: str) -> str:
        kept = self._texts.get(text)
        if kept is None:
            if deidentify.ISO_TIME.match(text):  # a timestamp, kept: not remembered (each is new; they would
                return text                      # crowd the recurring texts out of the memo, and jieba reruns)
            if len(self._texts) >= _REMEMBERED_TEXTS:  # bounded: forget all, relearn the recurring ones
                self._texts.clear()
            kept = self._texts[text] = deidentify.scrub(text)
        return kept
