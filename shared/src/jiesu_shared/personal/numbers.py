"""Phone numbers, resident ID numbers and e-mail addresses, by their well-defined formats."""
from __future__ import annotations

import re

from jiesu_shared.personal.spans import Span

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_PATTERNS = (
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    # 18 characters (region, birth date, sequence, check digit or X) or the older 15 digits
    ("id", re.compile(rf"(?<![0-9A-Za-z])[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx](?![0-9A-Za-z])")),
    ("id", re.compile(rf"(?<![0-9A-Za-z])[1-9]\d{{5}}\d{{2}}{_DATE}\d{{3}}(?![0-9A-Za-z])")),
    # mobiles: 11 digits from 13–19, optionally +86 / 86, grouped by spaces or dashes (3-4-4)
    ("phone", re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    # landlines with their area code: 010-65123456, (021)61234567, 0571 8765 4321, +86 10 6512 3456
    ("phone", re.compile(r"(?<![\d+])(?:(?:\+|00)86[ -]?[1-9]\d{1,2}|\(0\d{2,3}\)|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4}(?!\d)")),
)


# Every pattern above needs an ASCII digit or an @: a text with neither (most) is not searched five times.
_NEEDED = re.compile(r"[0-9@]")


def find_numbers(text: str) -> list[Span]:
    if not _NEEDED.search(text):
        return []
    spans = []
    for kind, pattern in _PATTERNS:
        spans += [Span(kind, m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
    return spans
