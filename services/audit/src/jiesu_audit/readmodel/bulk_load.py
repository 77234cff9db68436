"""What a catch-up changes for its duration, and puts back: when the interpreter collects cyclic garbage,
how SQLite flushes commits, its page cache, and (into an empty read model on SQLite) the indexes that only
questions read, and the timeline's unique index of event ids."""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Index, event, select
from sqlalchemy.exc import IntegrityError

from jiesu_shared.free_memory import return_free_memory
from jiesu_shared.store import Database
from jiesu_shared.store.indexes import for_this_database

from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel.indexes import settle_indexes
from jiesu_audit.readmodel.tables import PER_CASE, cases

_TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
# Random inserts into an index by case cost about a sixth of a catch-up; built once at its end instead.
_DEFERRED: tuple[Index, ...] = tuple(i for i in _TIMELINE.indexes if not i.unique)
# The unique index of event ids, on random ids: the largest single cost of a large catch-up, built at its end
# too (meanwhile each case's history tells its duplicates, see `projector.Batch.by_case`).
_UNIQUE = next(i for i in _TIMELINE.indexes if i.unique)
_UNIQUE_PRESENT = ("SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = 'timeline' "
                   "AND (name = 'uq_timeline_event' OR name LIKE 'sqlite_autoindex_timeline%')")
_RELAXED = "jiesu_commits_not_flushed"
_CACHE_KIB = 16 * 1024  # SQLite's page cache while a batch is written (its default is 2 MiB)


@contextmanager
def collecting_per_batch() -> Iterator[None]:
    """Cyclic garbage collected by the caller, once a batch, instead of whenever allocations pile up. A batch
    allocates millions of objects that mostly live until it ends, with hardly a cycle among them (the fold
    makes none), and CPython's collections would scan the histories it holds over and over (about a fifth
    of a catch-up's CPU; collecting the young once a stretch still cost a tenth, for nothing to free: the
    peak memory is the same without). What was alive before is frozen out of the scans (see `collect_batch`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def collect_batch() -> None:
    """A batch's cyclic garbage collected, and what survives frozen out of the later batches' collections,
    which would scan the cached histories again and again. Frozen objects are still freed when their last
    reference goes; only a cycle among them waits until the catch-up's end, when they are unfrozen. The C heap's
    pages the batch freed go back to the system, so the next batch's peak does not stack on this one's."""
    gc.collect()
    gc.freeze()
    return_free_memory()


@contextmanager
def commits_not_flushed(database: Database) -> Iterator[None]:
    """On SQLite, the catch-up's commits are not flushed to the disk one by one: `synchronous=NORMAL` in WAL
    mode for the connections this thread (the catch-up's) takes from the pool meanwhile, FULL again when they
    go back (all do before the catch-up ends: each batch's transaction is closed). A flush waits for the disk
    (on a busy one, the timeline's inserts alone took 3.4 s of wall time for 1.2 s of CPU; 1.2 s without
    flushing); the CPU is the same either way. Still atomic: after a power cut the file is intact, its last
    batches at worst rolled back — their facts, timeline and stored position together — and the catch-up
    reads them again from that position. A crash of the process alone loses nothing committed."""
    if database.engine.dialect.name != "sqlite":
        yield
        return
    engine, catching_up = database.engine, threading.get_ident()

    def relaxed(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if threading.get_ident() == catching_up:  # not the HTTP server's reads, nor the live consumer's
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")  # before its BEGIN: not allowed inside one
            record.info[_RELAXED] = True

    def back_to_full(dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        if record.info.pop(_RELAXED, False):
            dbapi_conn.execute("PRAGMA synchronous=FULL")

    event.listen(engine, "checkout", relaxed)
    event.listen(engine, "checkin", back_to_full)
    try:
        yield
    finally:
        event.remove(engine, "checkout", relaxed)
        event.remove(engine, "checkin", back_to_full)


@contextmanager
def roomy_cache(conn: Connection) -> Iterator[None]:
    """A larger page cache for one batch on SQLite: its inserts into the timeline's and the facts' indexes
    land on random pages, which the default 2 MiB keeps evicting and reading again. Put back after, so the
    pooled connection does not keep the memory."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(Exception):  # a failed batch's connection may refuse: only memory, never the error's place
            conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def restore_indexes(database: Database) -> int:
    """The indexes a catch-up deferred, built if missing (a catch-up that was stopped did not get to).
    Returns how many duplicate events were taken off the timeline first (see `_unique_again`)."""
    if database.engine.dialect.name != "sqlite":
        return 0
    with database.transaction() as session:
        conn = session.connection()
        for index in _DEFERRED:
            index.create(conn, checkfirst=True)
        removed = _unique_again(conn)
    settle_indexes(database)  # the facts' (found in the catalogue: the inspector misses those on expressions)
    return removed


def _unique_again(conn: Connection) -> int:
    """The timeline's unique index of event ids, if missing. Without it a catch-up told a duplicate about a case
    by the case's history; one about no case (a meeting's, the directory's: rare) went on the timeline twice,
    and is taken off here, its first sighting kept, when the index cannot be built for it."""
    if conn.exec_driver_sql(_UNIQUE_PRESENT).first() is not None:
        return 0
    conn.exec_driver_sql("SAVEPOINT unique_again")
    try:
        _UNIQUE.create(conn)
        return 0
    except IntegrityError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT unique_again")
    finally:
        conn.exec_driver_sql("RELEASE SAVEPOINT unique_again")
    removed = conn.exec_driver_sql("DELETE FROM timeline WHERE id NOT IN (SELECT MIN(id) FROM timeline "
                                   "GROUP BY event_id)").rowcount
    _UNIQUE.create(conn)
    return removed


@dataclass
class Deferral:
    """Whether a catch-up's indexes were deferred, and (after) how many duplicates were taken off the timeline."""
    deferred: bool
    duplicates_removed: int = 0


@contextmanager
def indexes_deferred(database: Database) -> Iterator[Deferral]:
    """On SQLite, a catch-up into an empty read model drops the timeline's indexes (by case, and the unique one
    of event ids) and the facts' indexes that only the questions read, and builds them at its end: a sorted
    build instead of an insert at a random place for every row (what a question asks meanwhile is answered by
    scans: slower, the same answer). The facts' indexes by case stay: rewriting a case's rows finds them by it.
    A timeline made with the unique constraint of old (not droppable) is made again first: it is empty."""
    if database.engine.dialect.name != "sqlite" or not _timeline_empty(database):
        yield Deferral(False)
        return
    with database.transaction() as session:
        conn = session.connection()
        if conn.exec_driver_sql(_UNIQUE_PRESENT.replace("name = 'uq_timeline_event' OR ", "")).first():
            _TIMELINE.drop(conn)
            _TIMELINE.create(conn)
        for index in (*_DEFERRED, _UNIQUE):
            index.drop(conn, checkfirst=True)
        for name in _deferred_fact_indexes(conn):
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    deferral = Deferral(True)
    try:
        yield deferral
    finally:
        deferral.duplicates_removed = restore_indexes(database)


def _deferred_fact_indexes(conn: Connection) -> list[str]:
    return [index.name for table in (cases, *PER_CASE) for index in table.indexes
            if not index.unique and [getattr(e, "name", None) for e in index.expressions] != ["case_id"]
            and for_this_database(index, conn.dialect.name)]


def _timeline_empty(database: Database) -> bool:
    with database.reading() as session:
        return session.connection().execute(select(_TIMELINE.c.id).limit(1)).first() is None
