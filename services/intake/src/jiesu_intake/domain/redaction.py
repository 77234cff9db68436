"""Find the personal data citizens type into free text (phone and ID numbers, their own name), so the
text that goes on the log carries placeholders and the originals travel only sealed. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass

# 18-character resident ID (身份证), mainland mobiles (optionally +86), landlines with area code, e-mail.
_PATTERNS = (
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("id", re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")),
    ("phone", re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    ("phone", re.compile(r"(?<![\d+])0\d{2,3}[ -]?\d{7,8}(?!\d)")),
)


@dataclass(frozen=True)
class Redacted:
    text: str  # what may go on the log
    originals: dict[str, str]  # placeholder -> the original words, to be sealed


def redact(text: str, *, name: str | None = None) -> Redacted:
    originals: dict[str, str] = {}
    counts: dict[str, int] = {}

    def placeholder(kind: str, original: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        token = f"[{kind}-{counts[kind]}]"
        originals[token] = original
        return token

    for kind, pattern in _PATTERNS:
        text = pattern.sub(lambda m, k=kind: placeholder(k, m.group(0)), text)
    if name and len(name.strip()) >= 2 and name.strip() in text:
        originals["[name]"] = name.strip()
        text = text.replace(name.strip(), "[name]")
    return Redacted(text=text, originals=originals)


def restore(text: str, originals: dict[str, str]) -> str:
    for token, original in originals.items():
        text = text.replace(token, original)
    return text
