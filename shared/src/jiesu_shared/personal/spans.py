"""A piece of personal data found in a text, and how overlapping finds are settled."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Span:
    kind: str  # phone, id, email, address or name
    start: int
    end: int  # exclusive, so text[start:end] == self.text
    text: str


def without_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep the earliest find, and of those starting together the longest; drop any that overlap a kept one.

    Numbers are found before names (the caller lists them first), so `sorted` keeping the order of equal
    keys lets an e-mail address or ID number win over a name inside it."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept
