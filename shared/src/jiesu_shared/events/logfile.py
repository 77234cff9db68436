"""Read a recorded event log for an offline tool: the embedded log (SQLite file) or a JSON Lines export
(one structured CloudEvent a line, as audit's replay writes `events.jsonl`), in log order, bounded at the
end seen when reading starts.

A small reader for tools outside audit (dispatch's what-if): audit's replay sources also stream Kafka and
feed progress bars, and a service must not import another's code. A record that is not a valid event is
yielded as a problem with its position, never dropped.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from jiesu_shared.bus.headers import header_map_from_text
from jiesu_shared.events.codec import DecodeError, decode_event, plain_structured_event
from jiesu_shared.events.envelope import Envelope
from jiesu_shared.events.view import EventView

SQLITE_MAGIC = b"SQLite format 3\x00"


class LogRecord(NamedTuple):
    position: str  # "offset N" in the embedded log, "line N" in a file
    event: EventView | Envelope | None
    problem: str | None = None


def read_log(path: Path, topic: str = "jiesu.case-events") -> Iterator[LogRecord]:
    """Every record of the log at `path`, whichever of the two kinds it is."""
    with path.open("rb") as f:
        embedded = f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    return _embedded(path, topic) if embedded else _jsonl(path)


def _jsonl(path: Path) -> Iterator[LogRecord]:
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                yield _line(f"line {number}", line)


def _line(position: str, line: bytes) -> LogRecord:
    if (event := plain_structured_event(line)) is not None:
        return LogRecord(position, event)
    try:
        return LogRecord(position, Envelope.model_validate_json(line))
    except ValidationError as exc:
        return LogRecord(position, None, f"not a Jiesu CloudEvent: {exc.errors(include_url=False)[0]['msg']}")


def _embedded(path: Path, topic: str) -> Iterator[LogRecord]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        end = conn.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?", (topic,)).fetchone()[0]
        position = 0
        while position < end:
            rows = conn.execute("SELECT offset, value, headers FROM records WHERE topic = ? AND offset >= ? "
                                "AND offset < ? ORDER BY offset LIMIT 1000", (topic, position, end)).fetchall()
            if not rows:
                break
            for offset, value, headers in rows:
                yield _record(f"offset {offset}", headers, value)
            position = rows[-1][0] + 1
    finally:
        conn.close()


def _record(position: str, headers: str, value: bytes | None) -> LogRecord:
    try:
        return LogRecord(position, decode_event(header_map_from_text(headers), value))
    except (DecodeError, AttributeError, TypeError, ValueError) as exc:
        return LogRecord(position, None, f"undecodable record: {exc}"[:500])
