"""Putting a stretch's events on the timeline, each event id once (the log is at-least-once: a relay may
append an event twice), as tuples straight through the driver.

The usual stretch has no event the timeline already holds: it is inserted with `ON CONFLICT DO NOTHING`
inside a savepoint, and when every row went in that is all. Only when some did not (a duplicate, within
the stretch or from before) is the savepoint rolled back and the stretch's ids looked up first."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel.bulk import select_in

_TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
COLUMNS = ("case_id", "event_id", "type", "source", "sequence", "time", "correlation_id", "causation_id",
           "traceparent", "data")
_ROW, _EVENT_ID = 2, 1  # where a `ready.Ready` keeps its row, and a row its event id


def put_on_timeline(conn: Connection, stretch: Sequence[tuple]) -> list[tuple]:
    """Insert the events of `stretch` (`ready.Ready`) whose id is not on the timeline yet, the first of each
    id in the stretch; returns those, in order."""
    if not stretch:
        return []
    rows = [r[_ROW] for r in stretch]
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute("SAVEPOINT timeline_rows")
        cursor.executemany(_insert(conn, " ON CONFLICT (event_id) DO NOTHING"), rows)
        if cursor.rowcount == len(rows):
            cursor.execute("RELEASE SAVEPOINT timeline_rows")
            return list(stretch)
        cursor.execute("ROLLBACK TO SAVEPOINT timeline_rows")
        cursor.execute("RELEASE SAVEPOINT timeline_rows")
        kept = _first_sightings(conn, rows)
        cursor.executemany(_insert(conn, ""), [rows[i] for i in kept])
    finally:
        cursor.close()
    return [stretch[i] for i in kept]


def put_all_on_timeline(conn: Connection, stretch: Sequence[tuple]) -> None:
    """Insert every event of `stretch`, duplicates told apart already (a catch-up's, see `Batch.by_case`)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(_insert(conn, ""), [r[_ROW] for r in stretch])
    finally:
        cursor.close()


def _first_sightings(conn: Connection, rows: Sequence[tuple]) -> list[int]:
    """Positions of the events whose id was not seen before: neither on the timeline nor earlier here."""
    ids = list({row[_EVENT_ID] for row in rows})
    seen = {found[0] for found in select_in(conn, "SELECT event_id FROM timeline WHERE event_id IN ({})", ids)}
    kept = []
    for i, row in enumerate(rows):
        if row[_EVENT_ID] not in seen:
            seen.add(row[_EVENT_ID])
            kept.append(i)
    return kept


def _insert(conn: Connection, conflict: str) -> str:
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in COLUMNS)
    return f"INSERT INTO {_TIMELINE.name} ({names}) VALUES ({', '.join([marker] * len(COLUMNS))}){conflict}"
