"""Putting a stretch's events on the timeline, each event id once (the log is at-least-once: a relay may
append an event twice), as tuples straight through the driver.

The usual stretch has no event the timeline already holds: it is inserted with `ON CONFLICT DO NOTHING`
inside a savepoint, and when every row went in that is all. Only when some did not (a duplicate, within
the stretch or from before) is the savepoint rolled back and the stretch's ids looked up first."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Connection

from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel.bulk import select_in

_TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
_COLUMNS = ("case_id", "event_id", "type", "source", "sequence", "time", "correlation_id", "causation_id",
            "traceparent", "data")


def put_on_timeline(conn: Connection, stretch: Sequence[Any]) -> list[Any]:
    """Insert the events of `stretch` (`Decoded`) whose id is not on the timeline yet, the first of each id
    in the stretch; returns those, in order."""
    if not stretch:
        return []
    rows = _rows(conn, stretch)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute("SAVEPOINT timeline_rows")
        cursor.executemany(_insert(conn, " ON CONFLICT (event_id) DO NOTHING"), rows)
        if cursor.rowcount == len(rows):
            cursor.execute("RELEASE SAVEPOINT timeline_rows")
            return list(stretch)
        cursor.execute("ROLLBACK TO SAVEPOINT timeline_rows")
        cursor.execute("RELEASE SAVEPOINT timeline_rows")
        kept = _first_sightings(conn, stretch)
        cursor.executemany(_insert(conn, ""), [rows[i] for i in kept])
    finally:
        cursor.close()
    return [stretch[i] for i in kept]


def put_all_on_timeline(conn: Connection, stretch: Sequence[Any]) -> None:
    """Insert every event of `stretch`, duplicates told apart already (a catch-up's, see `Batch.by_case`)."""
    if not stretch:
        return
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(_insert(conn, ""), _rows(conn, stretch))
    finally:
        cursor.close()


def _first_sightings(conn: Connection, stretch: Sequence[Any]) -> list[int]:
    """Positions of the events whose id was not seen before: neither on the timeline nor earlier here."""
    ids = list({d.event.id for d in stretch})
    seen = {row[0] for row in select_in(conn, "SELECT event_id FROM timeline WHERE event_id IN ({})", ids)}
    kept = []
    for i, d in enumerate(stretch):
        if d.event.id not in seen:
            seen.add(d.event.id)
            kept.append(i)
    return kept


def _rows(conn: Connection, stretch: Sequence[Any]) -> list[tuple]:
    time_of = _time_value(conn)
    return [(e.subject, e.id, e.type, e.source, e.sequence, time_of(e.time), e.correlationid, e.causationid,
             e.traceparent, d.data_text) for d in stretch for e in (d.event,)]


def _time_value(conn: Connection) -> Callable[[Any], Any]:
    """What the time column's type would bind. On SQLite that is the UTC time, which the driver stores as
    its `isoformat(" ")`: made here directly for a time in UTC already (every decoded event's)."""
    convert = _TIMELINE.c.time.type.bind_processor(conn.dialect)
    if conn.dialect.name != "sqlite":
        return convert

    def sqlite_time(moment: Any) -> Any:
        return moment.isoformat(" ") if moment.tzinfo is UTC else convert(moment)
    return sqlite_time


def _insert(conn: Connection, conflict: str) -> str:
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in _COLUMNS)
    return f"INSERT INTO {_TIMELINE.name} ({names}) VALUES ({', '.join([marker] * len(_COLUMNS))}){conflict}"
