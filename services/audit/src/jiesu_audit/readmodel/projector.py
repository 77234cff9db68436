"""Applies a stretch of the log to the read models in one transaction, in bulk: the events go onto the
timeline, each case's history is folded on from its stored state, and every touched case's fact rows are
rewritten; the partitions' positions are stored with them, so a stretch is applied exactly once."""
from __future__ import annotations

import math
import time
from hashlib import blake2b
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, and_, insert, select, update

from jiesu_shared.events import EventView
from jiesu_shared.store import Database

from jiesu_audit.domain.history import KEY_BYTES, CaseHistory, case_of
from jiesu_audit.readmodel import bulk_load, facts
from jiesu_audit.readmodel.bulk import execute_many, insert_tuples, select_in
from jiesu_audit.readmodel.groups import adopt, groups_of, mark_stale, refresh, streets_of
from jiesu_audit.readmodel.log_reading import as_view
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import PER_CASE, callbacks, cases, offers, positions, summons, warnings
from jiesu_audit.readmodel.timeline_rows import put_all_on_timeline, put_on_timeline

_IN_CHUNK = 500  # ids per IN (...): well under every database's limit on bound parameters
_REWRITE_CHUNK = 2_000  # cases whose fact rows are built and written together


class Decoded(NamedTuple):
    """One record of the log, decoded and checked: its attributes and data, and its data as the JSON text it
    came as (what the timeline stores)."""
    partition: int
    offset: int
    event: EventView
    data_text: str

    @classmethod
    def of(cls, partition: int, offset: int, event: Any, data_text: str) -> Decoded:
        """From an `Envelope` or `EventView` (its data kept: folded without parsing the text again)."""
        return cls(partition, offset, as_view(event), data_text)


@dataclass
class Applied:
    events: int = 0
    duplicates: int = 0
    cases: int = 0
    positions: dict[int, int] = field(default_factory=dict)


class StaleStretch(Exception):
    """Another instance moved a partition on meanwhile: the stretch must be read again from its position."""


class Projector:
    def __init__(self, database: Database, topic: str, states: CaseStates, refresh_seconds: float = 0.0) -> None:
        self.database, self.topic, self.states = database, topic, states
        # Stale department groups are counted at a question anyway: refreshing them at most this often keeps
        # a busy live log from re-ranking the current month's offers at every stretch.
        self.refresh_seconds = refresh_seconds
        self._refreshed_at = -math.inf

    def adopt_old_read_model(self) -> int:
        """Before consuming: kept rows for facts written before their table was kept (see `groups.adopt`)."""
        with self.database.transaction() as session:
            conn = session.connection()
            marked, now = adopt(conn)
            if now:
                refresh(conn)
            return marked

    def refresh_departments(self) -> None:
        """The stale groups' kept rows (department figures, deliveries, warnings) counted afresh, in a
        transaction of their own."""
        with self.database.transaction() as session:
            refresh(session.connection())
        self._refreshed_at = time.monotonic()

    def apply(self, stretch: Sequence[Decoded], ends: dict[int, int]) -> Applied:
        """`ends`: per partition, the offset after the last record read (poison included)."""
        with self.batch(list(ends)) as batch:
            batch.take(stretch, ends)
            batch.refresh = time.monotonic() - self._refreshed_at >= self.refresh_seconds
        if batch.refresh:
            self._refreshed_at = time.monotonic()
        return batch.applied

    @contextmanager
    def batch(self, partitions: list[int], roomy_cache: bool = False) -> Iterator[Batch]:
        """One transaction for one or many stretches: each is put on the timeline and folded as it is taken,
        and the touched cases' facts and the positions are written once, at the end (a case busy in many
        stretches of a catch-up is rewritten once, not once per stretch). `roomy_cache`: a catch-up's large
        batch, written with a larger page cache (see `bulk_load.roomy_cache`)."""
        try:
            with self.database.transaction() as session:
                conn = session.connection()
                with bulk_load.roomy_cache(conn) if roomy_cache else nullcontext():
                    batch = Batch(self, conn, self._positions(conn, partitions))
                    yield batch
                    batch.finish()
        except BaseException:
            self.states.forget_all()
            raise

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

    def load(self, conn: Connection, case_ids: set[str]) -> dict[str, CaseHistory]:
        return {case_id: facts.load_state(state) for case_id, state in
                select_in(conn, "SELECT case_id, state FROM audit_cases WHERE case_id IN ({})", sorted(case_ids))}

    def rewrite(self, conn: Connection, touched: dict[str, CaseHistory], new: set[str] = frozenset()) -> None:
        """Every fact row of these cases, replaced by what their histories say now (`new`: none yet); a few
        thousand cases at a time, so a large batch's rows are never all in memory at once."""
        self._claim(conn, touched, new)
        ids = sorted(touched)
        for start in range(0, len(ids), _REWRITE_CHUNK):
            self._rewrite(conn, {c: touched[c] for c in ids[start:start + _REWRITE_CHUNK]}, new)

    @staticmethod
    def _rewrite(conn: Connection, touched: dict[str, CaseHistory], new: set[str]) -> None:
        known = [c for c in touched if c not in new]
        for table in (*PER_CASE, cases):
            for chunk in _chunks(known):
                execute_many(conn, f"DELETE FROM {table.name} WHERE case_id IN ({{}})".format(
                    ", ".join([_marker(conn)] * len(chunk))), [chunk])
        rows: dict[str, list[tuple]] = {t.name: [] for t in PER_CASE}
        for history in touched.values():
            for name, some in facts.rows_of(history).items():
                rows[name] += some
        insert_tuples(conn, cases, facts.COLUMNS[cases.name], [facts.case_row(h) for h in touched.values()])
        for table in PER_CASE:
            insert_tuples(conn, table, facts.COLUMNS[table.name], rows[table.name])
        mark_stale(conn, groups_of(rows[offers.name], rows[summons.name], rows[warnings.name], rows[callbacks.name]),
                   streets_of(rows[offers.name]))

    @staticmethod
    def _claim(conn: Connection, touched: dict[str, CaseHistory], new: set[str]) -> None:
        """Check that each case's stored revision is the one its history went on from, and lock the rows: an
        event keyed by something else (a meeting's decision names its case) can reach another partition, so
        another instance may have folded the same case meanwhile. Then the next revision is this one."""
        lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""  # SQLite: the writer holds the file
        stored = dict(select_in(conn, "SELECT case_id, version FROM audit_cases WHERE case_id IN ({})" + lock,
                                sorted(touched)))
        for case_id, history in touched.items():
            if stored.get(case_id, None if case_id in new else -1) != (None if case_id in new else history.revision):
                raise StaleStretch(f"case {case_id} was written by another instance meanwhile")
            history.revision += 1


class Batch:
    """Stretches taken in one transaction: the histories they touched are held (`pending`) until `finish`
    writes their facts, so their number bounds the memory (the caller finishes a batch when it is large)."""

    def __init__(self, projector: Projector, conn: Connection, stored: dict[int, int]) -> None:
        self.projector, self.conn, self.stored = projector, conn, stored
        self.ends = dict(stored)  # per partition, where the stretches taken so far end
        self.pending: dict[str, CaseHistory] = {}
        self.partition_of: dict[str, int] = {}
        self.new: set[str] = set()  # pending cases that had no rows before this batch
        self.applied = Applied()
        self.refresh = True  # count the stale department groups afresh at the end (a catch-up: at its last batch)
        # A catch-up into an empty read model, whose timeline has no unique index until its end: a duplicate
        # is told by its case's history instead (see `bulk_load.indexes_deferred`).
        self.by_case = False
        for partition, next_offset in stored.items():
            projector.states.continuing(partition, next_offset)

    def take(self, stretch: Sequence[Decoded], ends: dict[int, int]) -> None:
        unread = [d for d in stretch if d.offset >= self.ends.get(d.partition, 0)]
        if self.by_case:
            fresh = self._fold(unread)
            put_all_on_timeline(self.conn, fresh)
        else:
            fresh = put_on_timeline(self.conn, unread)
            self._fold(fresh)
        self.applied.events += len(fresh)
        self.applied.duplicates += len(stretch) - len(fresh)
        for partition, end in ends.items():
            self.ends[partition] = max(end, self.ends.get(partition, 0))

    def finish(self) -> None:
        projector = self.projector
        projector.rewrite(self.conn, self.pending, self.new)
        if self.refresh:
            refresh(self.conn)
        self.applied.cases = len(self.pending)
        self.applied.positions = projector._store_positions(self.conn, self.stored, self.ends)
        for case_id, history in self.pending.items():
            projector.states.put(self.partition_of[case_id], history)

    def _fold(self, stretch: list[Decoded]) -> list[Decoded]:
        """Fold each event onto its case's history: pending in this batch, cached, stored, or new. Returns
        the events to keep: all, or (`by_case`) those whose case had not seen them yet, and those about no
        case (the timeline's unique index, built at the end, tells their duplicates)."""
        pending, partition_of, new, by_case = self.pending, self.partition_of, self.new, self.by_case
        kept = []
        for d, case_id, data in self._gather(stretch):
            if case_id is None:
                kept.append(d)
                continue
            history = pending.get(case_id)
            if history is None:
                history = pending[case_id] = CaseHistory(case_id)
                new.add(case_id)
            partition_of[case_id] = d.partition  # even for a duplicate: its history is pending, cached at the end
            if by_case:
                key = blake2b(d.event.id.encode(), digest_size=KEY_BYTES).digest()
                if history.seen(key):
                    continue
                history.saw(key)
            elif history.event_keys:  # the catch-up is over: the timeline's unique index tells duplicates
                history.event_keys = b""
            kept.append(d)
            history.apply_fields(d.event.type, data, d.event.time)
        return kept

    def _gather(self, stretch: list[Decoded]) -> list[tuple[Decoded, str | None, dict[str, Any]]]:
        """Each event with its case and data; the histories of those cases put into `pending` from the cache,
        else loaded (if stored)."""
        pending, states = self.pending, self.projector.states
        about, missing = [], set()
        for d in stretch:
            event = d.event
            data = event.data or orjson.loads(d.data_text)
            case_id = case_of(event.type, event.subject, data)
            about.append((d, case_id, data))
            if case_id is not None and case_id not in pending and case_id not in missing:
                if (cached := states.get(d.partition, case_id)) is not None:
                    pending[case_id] = cached
                else:
                    missing.add(case_id)
        if missing:
            pending.update(self.projector.load(self.conn, missing))
        return about


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]
