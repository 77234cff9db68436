"""An on-disk staging area (SQLite) so XES and OCEL can be written grouped and sorted without holding the
log in memory: memory stays flat however long the log is; the disk holds one copy of the events."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from jiesu_audit.domain.history import case_of as case_of_event
from jiesu_audit.replay import objects as o
from jiesu_audit.replay.reading import RulesInForce

_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, case_id TEXT, type TEXT NOT NULL,
                     doc TEXT NOT NULL);
CREATE TABLE objects (oid TEXT PRIMARY KEY, type TEXT NOT NULL, attrs TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE links (src TEXT NOT NULL, dst TEXT NOT NULL, qualifier TEXT NOT NULL, PRIMARY KEY (src, dst, qualifier));
CREATE TABLE attribute_types (event_type TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
                              PRIMARY KEY (event_type, name));
"""


_INSERT_EVENT = "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)"
_BATCH = 5000
_REMEMBERED_OBJECTS = 200_000
_REMEMBERED_SHAPES = 10_000


def case_of(doc: dict[str, Any]) -> str | None:
    return case_of_event(doc["type"], doc["subject"], doc["data"])


class Staging:
    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        # a bounded page cache (64 MiB): the event ids' index is written at random places as the log grows
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;"
                              "PRAGMA temp_store=FILE;" + _SCHEMA)
        self._seq = 0
        self._attribute_types: set[tuple[str, str, str]] = set()
        self._attribute_shapes: set[tuple] = set()  # (type, attribute names, their values' classes) seen
        self.rules = RulesInForce()  # the routing tables published in the log, few: held in memory
        self._objects: list[tuple[str, str, str]] = []
        self._attributes: list[tuple[str, str, str]] = []
        self._links: list[tuple[str, str, str]] = []
        # objects staged lately: departments, streets and communities recur on most events
        self._staged_objects: dict[str, None] = {}

    @classmethod
    def reopened(cls, path: Path, rules: RulesInForce) -> Staging:
        """The staged events, for reading in another process (which must not share the first's connection)."""
        staging = cls.__new__(cls)
        staging.path, staging.rules = path, rules
        staging.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        staging.db.execute("PRAGMA cache_size=-32768")
        return staging

    def add(self, batch: list[tuple[dict[str, Any], str | None, bytes]]) -> list[bool]:
        """Stage a batch of events, each (event, its case, what XES and OCEL read of it: `slim`, as JSON) in one
        statement; for each, False when its id was staged before (a redelivery: the log is at-least-once).
        A fresh event's objects and links are noted for the next batch of those."""
        base = self._seq
        rows = [(base + i, doc["id"], case_id, doc["type"], slimmed)
                for i, (doc, case_id, slimmed) in enumerate(batch, 1)]
        changed = self.db.total_changes
        self.db.executemany(_INSERT_EVENT, rows)
        self._seq += len(rows)  # a redelivery leaves its number unused: the order is all that counts
        if self.db.total_changes - changed == len(rows):
            fresh = [True] * len(rows)
        else:  # rare: find which ones were already there
            kept = {seq for (seq,) in self.db.execute("SELECT seq FROM events WHERE seq > ?", (base,))}
            fresh = [row[0] in kept for row in rows]
        for (doc, *_), new in zip(batch, fresh):
            if new:
                self._describe(doc)
        return fresh

    def _describe(self, doc: dict[str, Any]) -> None:
        data, kind, event_id = doc["data"], doc["type"], doc["id"]
        for object_id, object_type, _ in o.related_objects(doc["subject"], kind, data, event_id):
            if object_id not in self._staged_objects:
                self._staged_objects[object_id] = None
                self._objects.append((object_id, object_type, doc["time"]))
        if kind in o.DESCRIBING_TYPES:  # most events describe no object and link none: not asked
            described = o.object_attributes(kind, data, event_id)
            if described and described[1]:
                self._attributes.append((orjson.dumps(described[1], option=orjson.OPT_SORT_KEYS).decode(),
                                         doc["time"], described[0]))
        if kind == "routing.rules_published.v1" and isinstance(data.get("version"), str):
            self.rules.add(doc["time"], data["version"])
        if kind in o.LINKING_TYPES:
            self._links += o.object_links(kind, data, event_id)
        self._note_attribute_types(kind, data)
        if len(self._objects) + len(self._attributes) + len(self._links) >= _BATCH:
            self._flush()

    def _note_attribute_types(self, kind: str, data: dict[str, Any]) -> None:
        names = o.event_attribute_names(data)
        shape = (kind, names, tuple(data[name].__class__ for name in names))
        if shape in self._attribute_shapes:  # a few per event type: each looked at once
            return
        if len(self._attribute_shapes) >= _REMEMBERED_SHAPES:
            self._attribute_shapes.clear()
        self._attribute_shapes.add(shape)
        for name, value in o.event_attributes(data).items():
            typed = (kind, name, "integer" if isinstance(value, int) else "string")
            if typed not in self._attribute_types:  # a handful of them: remembered, not re-inserted each event
                self._attribute_types.add(typed)
                self.db.execute("INSERT OR IGNORE INTO attribute_types VALUES (?, ?, ?)", typed)

    def _flush(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO objects VALUES (?, ?, '{}', ?)", self._objects)
        self.db.executemany("UPDATE objects SET attrs = ?, time = ? WHERE oid = ? AND attrs = '{}'", self._attributes)
        self.db.executemany("INSERT OR IGNORE INTO links VALUES (?, ?, ?)", self._links)
        self._objects, self._attributes, self._links = [], [], []
        if len(self._staged_objects) > _REMEMBERED_OBJECTS:  # a bounded memo, not a second copy of the table
            self._staged_objects.clear()

    def close(self) -> None:
        """The last batch, then the index by case: built once, sorted, when every event is in (cheaper than
        keeping it in order while the events arrive)."""
        self._flush()
        self.db.execute("CREATE INDEX events_by_case ON events (case_id, seq)")
        self.db.commit()

    def remove(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    def scalar(self, sql: str) -> int:
        return self.db.execute(sql).fetchone()[0]

    def rows(self, sql: str, *args: Any) -> Iterator[tuple]:
        cursor = self.db.cursor()  # a separate cursor: iterating lazily, never fetchall
        cursor.arraysize = 1000
        yield from cursor.execute(sql, args)

    def middle_case(self) -> str | None:
        """The case halfway through the staged events in case order: the cases before it are half the work."""
        about_cases = self.scalar("SELECT COUNT(*) FROM events WHERE case_id IS NOT NULL")
        row = self.db.execute("SELECT case_id FROM events WHERE case_id IS NOT NULL ORDER BY case_id, seq "
                              "LIMIT 1 OFFSET ?", (about_cases // 2,)).fetchone()
        return row[0] if row else None

    def by_case(self, *, before: str | None = None, since: str | None = None
                ) -> Iterator[tuple[str | None, list[dict[str, Any]]]]:
        """The events grouped by case (one group per event about no case first), each group in log order;
        only the cases `before` a case id (with those about no case), or only those `since` one."""
        group: list[dict[str, Any]] = []
        current: str | None = None
        for case_id, doc in self._in_case_order(before, since):
            if case_id is None:
                yield None, [orjson.loads(doc)]
                continue
            if case_id != current and group:
                yield current, group
                group = []
            current = case_id
            group.append(orjson.loads(doc))
        if group:
            yield current, group

    def _in_case_order(self, before: str | None, since: str | None) -> Iterator[tuple]:
        if before is not None:
            return self.rows("SELECT case_id, doc FROM events WHERE case_id IS NULL OR case_id < ? "
                             "ORDER BY case_id, seq", before)
        if since is not None:
            return self.rows("SELECT case_id, doc FROM events WHERE case_id >= ? ORDER BY case_id, seq", since)
        return self.rows("SELECT case_id, doc FROM events ORDER BY case_id, seq")

    def case_attributes(self, case_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT attrs FROM objects WHERE oid = ?", (o.oid("case", case_id),)).fetchone()
        return orjson.loads(row[0]) if row else {}
