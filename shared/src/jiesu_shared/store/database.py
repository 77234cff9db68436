"""One service's own database: SQLite (embedded default) or PostgreSQL (production)."""
from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, MetaData, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

from jiesu_shared.sqlite_wal import enter_wal
from jiesu_shared.store.indexes import settle_indexes

T = TypeVar("T")
_READ_ONLY = "jiesu_read_only"
_SCHEMA_LOCK_ID = zlib.crc32(b"jiesu.schema")


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
            enter_wal(dbapi_conn)
            dbapi_conn.execute("PRAGMA synchronous=FULL")
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA secure_delete=ON")  # a deleted row's bytes are overwritten, not left

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # Take the write lock at the start: a deferred transaction that later writes can fail
            # with SQLITE_BUSY without waiting, when another thread or process wrote in between.
            # Read-only work (see Database.reading) needs no lock and must not block writers.
            statement = "BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE"
            try:  # straight to the driver: SQLAlchemy's execution of it cost more than the statement (~25 us)
                conn.connection.driver_connection.execute(statement)
            except sqlite3.Error as exc:  # raised as SQLAlchemy raises the driver's errors, for callers that tell them
                raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self.session_info: dict[str, Any] = {}  # handed to every session (`session.info`): e.g. a service's keys
        # SQLite has one writer at a time, and its busy handler makes waiting threads sleep with
        # back-off; queueing this process's writers on a lock wakes each one as soon as it may go.
        self._writer_turn = threading.Lock() if url.startswith("sqlite") else nullcontext()

    def create_schema(self, metadata: MetaData = SQLModel.metadata) -> None:
        """Create missing tables. On PostgreSQL under a transaction-scoped advisory lock: instances starting
        together on a fresh database (two replicas' first rollout) would otherwise race on CREATE TABLE."""
        with self._schema_change() as connection:
            metadata.create_all(connection)

    def settle_indexes(self, metadata: MetaData = SQLModel.metadata, retired: Iterable[str] = ()) -> list[str]:
        """The indexes declared since an existing table was made, created, and the `retired` ones dropped; the
        names created. After the service's own column migrations: a new index may be on a column they add."""
        with self._schema_change() as connection:
            return settle_indexes(connection, metadata.sorted_tables, retired)

    @contextmanager
    def _schema_change(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK_ID})
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end of the block, or not at all."""
        with self._writer_turn, Session(self.engine, expire_on_commit=False, info=self.session_info) as session, \
                session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not take the write lock."""
        with self.engine.connect().execution_options(**{_READ_ONLY: True}) as conn, \
                Session(bind=conn, expire_on_commit=False, info=self.session_info) as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A plain connection whose statements commit together at the end of the block: for hot loops that write
        plain rows and read nothing back, where a Session's unit of work costs more than the statements."""
        with self._writer_turn, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading_rows(self) -> Iterator[Connection]:
        """A plain connection for reads only, for hot loops that want rows, not objects (see `reading`)."""
        with self.engine.connect().execution_options(**{_READ_ONLY: True}) as connection, connection.begin():
            yield connection

    def run(self, work: Callable[[Session], T]) -> T:
        with self.transaction() as session:
            return work(session)

    def forget_deleted(self) -> None:
        """Leave no copy of deleted rows in the files: on SQLite, fold the write-ahead log into the database
        (whose freed pages secure_delete zeroes) and truncate it. PostgreSQL keeps dead rows until VACUUM,
        which its operators schedule (see the README)."""
        if self.engine.url.get_backend_name() != "sqlite" or not self.engine.url.database:
            return
        # A connection of its own: the pool's connections may sit inside transactions and block it.
        with closing(sqlite3.connect(self.engine.url.database, timeout=30)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def dispose(self) -> None:
        self.engine.dispose()
