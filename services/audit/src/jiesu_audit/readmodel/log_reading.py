"""Reading the embedded log for a catch-up: its rows in offset order, up to an end seen at the start, each
decoded and checked as the live consumer would, a stretch at a time."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from jiesu_shared.catalogue import PayloadError, UnknownEventType, parse_payload
from jiesu_shared.events import EventView

from jiesu_audit.replay.sources import from_stored_record

_ROWS = 10_000

# (offset, event, the event's data as the JSON text it came as)
ReadEvent = tuple[int, EventView, str]
# (offset, key, value, headers, reason): a record that did not decode, for the dead-letter topic
Poison = tuple[int, Any, Any, Any, str]


def read_stretches(path: Path, topic: str, stretch_events: int, start: int,
                   end: int) -> Iterator[tuple[list[ReadEvent], list[Poison], int]]:
    """(decoded events, poison, the offset after the stretch) per stretch of at most `stretch_events` records."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        position = start
        while position < end:
            stretch: list[ReadEvent] = []
            poison: list[Poison] = []
            while position < end and len(stretch) < stretch_events:
                rows = conn.execute("SELECT offset, key, value, headers FROM records WHERE topic = ? AND offset >= ? "
                                    "AND offset < ? ORDER BY offset LIMIT ?",
                                    (topic, position, end, min(_ROWS, stretch_events - len(stretch)))).fetchall()
                if not rows:
                    position = end
                    break
                _decode(rows, stretch, poison)
                position = rows[-1][0] + 1
            yield stretch, poison, position
    finally:
        conn.close()


def data_text(value: bytes | None, data: dict[str, Any]) -> str:
    """The event's data as stored on the timeline: the record's own JSON text when it is that object."""
    try:
        return (value or b"").decode()
    except UnicodeDecodeError:
        return orjson.dumps(data).decode()


def as_view(event: Any) -> EventView:
    """An `EventView` as is, or an `Envelope` (pydantic decided) as the view of the same attributes."""
    if type(event) is EventView:
        return event
    return EventView(event.id, event.source, event.type, event.subject, event.time, event.sequence,
                     event.correlationid, event.causationid, event.traceparent, event.data)


def _decode(rows: list, stretch: list[ReadEvent], poison: list[Poison]) -> None:
    keep = stretch.append
    for offset, key, value, headers in rows:
        item = from_stored_record(offset, headers, value)
        event = item.envelope
        if event is None:
            poison.append((offset, key, value, headers, f"undecodable: {item.poison_reason}"))
            continue
        try:
            parse_payload(event.type, event.data)
        except UnknownEventType:
            pass
        except PayloadError as exc:
            poison.append((offset, key, value, headers, f"invalid payload: {exc}"))
            continue
        keep((offset, as_view(event), data_text(value, event.data)))
