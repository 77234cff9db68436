"""Everything personal in one text, as spans a caller can replace: numbers by their formats, house numbers,
and people's names (jieba)."""
from __future__ import annotations

from jiesu_shared.personal.addresses import find_addresses
from jiesu_shared.personal.names import find_names
from jiesu_shared.personal.numbers import find_numbers
from jiesu_shared.personal.spans import Span, without_overlaps


def find_personal_data(text: str) -> list[Span]:
    """Non-overlapping spans in the order they appear. Numbers win over a name or house number they contain."""
    numbers = find_numbers(text)
    spans = without_overlaps(numbers + find_addresses(text))
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        spans = without_overlaps(spans + [s for s in find_names(text) if not _overlaps_any(s, spans)])
    return spans


def _overlaps_any(span: Span, others: list[Span]) -> bool:
    return any(span.start < other.end and other.start < span.end for other in others)
