"""Find the personal data citizens type into free text (phone and ID numbers, e-mail addresses, house
numbers, people's names), so the text that goes on the log carries placeholders and the originals travel
only sealed. Pure: the finding is the shared kernel's (`jiesu_shared.personal`)."""
from __future__ import annotations

from dataclasses import dataclass

from jiesu_shared.personal import Span, find_personal_data


@dataclass(frozen=True)
class Redacted:
    text: str  # what may go on the log
    originals: dict[str, str]  # placeholder -> the original words, to be sealed


def redact(text: str, *, name: str | None = None) -> Redacted:
    """Replace each find by `[kind-N]` (the same words get the same placeholder). The contact's own name
    is replaced wherever it stands, even where nothing around it says it is a name."""
    spans = find_personal_data(text)
    spans = _with_contact_name(text, spans, (name or "").strip())
    originals: dict[str, str] = {}
    tokens: dict[tuple[str, str], str] = {}
    counts: dict[str, int] = {}
    parts, position = [], 0
    for span in spans:
        key = (span.kind, span.text)
        if key not in tokens:
            counts[span.kind] = counts.get(span.kind, 0) + 1
            tokens[key] = f"[{span.kind}-{counts[span.kind]}]"
            originals[tokens[key]] = span.text
        parts += [text[position:span.start], tokens[key]]
        position = span.end
    parts.append(text[position:])
    return Redacted(text="".join(parts), originals=originals)


def restore(text: str, originals: dict[str, str]) -> str:
    for token, original in originals.items():
        text = text.replace(token, original)
    return text


def _with_contact_name(text: str, spans: list[Span], name: str) -> list[Span]:
    if len(name) < 2:
        return spans
    extra, start = [], text.find(name)
    while start >= 0:
        end = start + len(name)
        if not any(span.start < end and start < span.end for span in spans):
            extra.append(Span("name", start, end, name))
        start = text.find(name, end)
    return sorted(spans + extra, key=lambda span: span.start)
