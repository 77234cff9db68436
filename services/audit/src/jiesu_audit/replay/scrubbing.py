"""The de-identifier as a replay uses it: the same rules, with the scrubbing of each distinct text
remembered (bounded), since a log repeats its texts — an offer's summary is the case's text again, a
department's standard notes recur — and finding names (jieba) is the costliest step of an export."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jiesu_audit.domain import deidentify
from jiesu_audit.domain.deidentify import Deidentifier

_REMEMBERED_TEXTS = 100_000  # about 30 MB at most: memory stays flat however long the log

_scrub = lru_cache(maxsize=_REMEMBERED_TEXTS)(deidentify.scrub)


class ReplayDeidentifier(Deidentifier):
    def _value(self, key: str, value: Any) -> Any:
        if type(value) is str:
            return value if deidentify._is_identifier(key, value) else _scrub(value)
        return super()._value(key, value)
