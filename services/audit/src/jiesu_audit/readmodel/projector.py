"""Applies a stretch of the log to the read models in one transaction, in bulk: the events go onto the
timeline, each case's history is folded on from its stored state, and every touched case's fact rows are
rewritten; the partitions' positions are stored with them, so a stretch is applied exactly once."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, and_, delete, insert, select, update

from jiesu_shared.events import EventView
from jiesu_shared.store import Database

from jiesu_audit.domain.history import CaseHistory, case_of
from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel import facts
from jiesu_audit.readmodel.bulk import insert_rows
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import PER_CASE, cases, positions

_TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
_IN_CHUNK = 500  # ids per IN (...): well under every database's limit on bound parameters


class Decoded(NamedTuple):
    """One record of the log, decoded and checked: its attributes, and its data as the JSON text it came as
    (parsed again when folded — held as text, a long stretch costs a third of the memory)."""
    partition: int
    offset: int
    event: EventView
    data_text: str

    @classmethod
    def of(cls, partition: int, offset: int, event: Any, data_text: str) -> Decoded:
        """From an `Envelope` or `EventView`, its data dropped (the text keeps it)."""
        return cls(partition, offset, EventView(event.id, event.source, event.type, event.subject, event.time,
                                                event.sequence, event.correlationid, event.causationid,
                                                event.traceparent, _NO_DATA), data_text)


class _Folded(NamedTuple):  # what CaseHistory.apply reads of an event
    type: str
    time: datetime
    data: dict[str, Any]


_NO_DATA: dict[str, Any] = {}


@dataclass
class Applied:
    events: int = 0
    duplicates: int = 0
    cases: int = 0
    positions: dict[int, int] = field(default_factory=dict)


class StaleStretch(Exception):
    """Another instance moved a partition on meanwhile: the stretch must be read again from its position."""


class Projector:
    def __init__(self, database: Database, topic: str, states: CaseStates) -> None:
        self.database, self.topic, self.states = database, topic, states

    def apply(self, stretch: Sequence[Decoded], ends: dict[int, int]) -> Applied:
        """`ends`: per partition, the offset after the last record read (poison included)."""
        try:
            with self.database.transaction() as session:
                return self._apply(session.connection(), stretch, ends)
        except BaseException:
            self.states.forget_all()
            raise

    def _apply(self, conn: Connection, stretch: Sequence[Decoded], ends: dict[int, int]) -> Applied:
        stored = self._positions(conn, ends)
        for partition, next_offset in stored.items():
            self.states.continuing(partition, next_offset)
        fresh = [d for d in stretch if d.offset >= stored.get(d.partition, 0)]
        fresh = self._first_sightings(conn, fresh)
        applied = Applied(events=len(fresh), duplicates=len(stretch) - len(fresh))
        if fresh:
            insert_rows(conn, _TIMELINE, [_timeline_row(d) for d in fresh])
        touched, new = self._fold(conn, fresh)
        self.rewrite(conn, touched, new)
        applied.cases = len(touched)
        applied.positions = self._store_positions(conn, stored, ends)
        return applied

    def _positions(self, conn: Connection, ends: dict[int, int]) -> dict[int, int]:
        rows = conn.execute(select(positions.c.partition, positions.c.next_offset).where(
            positions.c.topic == self.topic, positions.c.partition.in_(list(ends))))
        return dict(rows.all())

    def _store_positions(self, conn: Connection, stored: dict[int, int], ends: dict[int, int]) -> dict[int, int]:
        for partition, end in ends.items():
            if partition not in stored:
                conn.execute(insert(positions).values(topic=self.topic, partition=partition, next_offset=end))
            elif end > stored[partition]:
                moved = conn.execute(update(positions).where(and_(
                    positions.c.topic == self.topic, positions.c.partition == partition,
                    positions.c.next_offset == stored[partition])).values(next_offset=end)).rowcount
                if moved != 1:  # compare-and-set lost: another instance wrote this partition meanwhile
                    raise StaleStretch(f"partition {partition} moved on by another instance")
            self.states.left_at(partition, max(end, stored.get(partition, 0)))
        return {p: max(e, stored.get(p, 0)) for p, e in ends.items()}

    def _first_sightings(self, conn: Connection, stretch: list[Decoded]) -> list[Decoded]:
        """Leave out events whose id was seen before (the log is at-least-once: a relay may append twice)."""
        seen: set[str] = set()
        ids = list({d.event.id for d in stretch})
        for chunk in _chunks(ids):
            seen.update(conn.execute(select(_TIMELINE.c.event_id).where(_TIMELINE.c.event_id.in_(chunk))).scalars())
        kept = []
        for d in stretch:
            if d.event.id not in seen:
                seen.add(d.event.id)
                kept.append(d)
        return kept

    def _fold(self, conn: Connection, stretch: list[Decoded]) -> tuple[dict[str, CaseHistory], set[str]]:
        """The histories the stretch touched, folded on; and which of them have no rows yet."""
        about = []
        for d in stretch:
            event = _Folded(d.event.type, d.event.time, orjson.loads(d.data_text))
            about.append((d.partition, event, case_of(event.type, d.event.subject, event.data)))
        wanted = {(p, c) for p, _, c in about if c is not None}
        histories = {c: h for p, c in wanted if (h := self.states.get(p, c)) is not None}
        histories.update(self._load(conn, {c for _, c in wanted} - set(histories)))
        new = {c for _, c in wanted} - set(histories)
        partition_of = {}
        for partition, event, case_id in about:
            if case_id is None:
                continue
            history = histories.get(case_id)
            if history is None:
                history = histories[case_id] = CaseHistory(case_id)
            history.apply(event)
            partition_of[case_id] = partition
        for case_id, partition in partition_of.items():
            self.states.put(partition, histories[case_id])
        return {c: histories[c] for c in partition_of}, new

    def _load(self, conn: Connection, case_ids: set[str]) -> dict[str, CaseHistory]:
        found = {}
        for chunk in _chunks(sorted(case_ids)):
            for case_id, state in conn.execute(select(cases.c.case_id, cases.c.state).where(cases.c.case_id.in_(chunk))):
                found[case_id] = facts.load_state(state)
        return found

    def rewrite(self, conn: Connection, touched: dict[str, CaseHistory], new: set[str] = frozenset()) -> None:
        """Every fact row of these cases, replaced by what their histories say now (`new`: none yet)."""
        ids = sorted(touched)
        self._claim(conn, touched, new)
        for chunk in _chunks(sorted(set(ids) - new)):
            for table in (*PER_CASE, cases):
                conn.execute(delete(table).where(table.c.case_id.in_(chunk)))
        rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in PER_CASE}
        for case_id in ids:
            for name, some in facts.rows_of(touched[case_id]).items():
                rows[name] += some
        insert_rows(conn, cases, [facts.case_row(touched[c]) for c in ids])
        for table in PER_CASE:
            insert_rows(conn, table, rows[table.name])


    @staticmethod
    def _claim(conn: Connection, touched: dict[str, CaseHistory], new: set[str]) -> None:
        """Check that each case's stored revision is the one its history went on from, and lock the rows: an
        event keyed by something else (a meeting's decision names its case) can reach another partition, so
        another instance may have folded the same case meanwhile. Then the next revision is this one."""
        stored: dict[str, int] = {}
        for chunk in _chunks(sorted(touched)):
            stored.update(conn.execute(select(cases.c.case_id, cases.c.version)
                                       .where(cases.c.case_id.in_(chunk)).with_for_update()).all())
        for case_id, history in touched.items():
            if stored.get(case_id, None if case_id in new else -1) != (None if case_id in new else history.revision):
                raise StaleStretch(f"case {case_id} was written by another instance meanwhile")
            history.revision += 1


def _timeline_row(d: Decoded) -> dict[str, Any]:
    e = d.event
    return {"case_id": e.subject, "event_id": e.id, "type": e.type, "source": e.source, "sequence": e.sequence,
            "time": e.time, "correlation_id": e.correlationid, "causation_id": e.causationid,
            "traceparent": e.traceparent, "data": d.data_text}


def data_text(value: bytes | None, data: dict[str, Any]) -> str:
    """The event's data as stored on the timeline: the record's own JSON text when it is that object."""
    try:
        return (value or b"").decode()
    except UnicodeDecodeError:
        return orjson.dumps(data).decode()


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]
