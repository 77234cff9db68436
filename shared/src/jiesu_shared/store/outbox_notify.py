"""On PostgreSQL, a commit that filled the outbox tells every instance's relay, through LISTEN/NOTIFY.

Several instances of a service share one database, and only the one holding the relay lock publishes; rows
another instance committed were found only at the relay's next look (up to a second). Now a transaction that
inserts outbox rows also sends `NOTIFY jiesu_outbox`, which PostgreSQL delivers at its commit (never for a
rollback), and each relay listens on a connection of its own and wakes when one arrives.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine, event

log = logging.getLogger(__name__)
CHANNEL = "jiesu_outbox"
_NOTIFIED = "jiesu.notified_outbox"  # in a pooled connection's info once its transaction has sent the NOTIFY


def notify_on_outbox_commits(engine: Engine, outbox_table: object) -> None:
    """Each transaction on this engine that inserts into the outbox sends one NOTIFY (delivered at commit)."""

    @event.listens_for(engine, "after_execute")
    def _inserted(conn, clauseelement, *_):  # type: ignore[no-untyped-def]
        if getattr(clauseelement, "table", None) is outbox_table and getattr(clauseelement, "is_insert", False) \
                and not conn.info.get(_NOTIFIED):
            conn.info[_NOTIFIED] = True
            conn.exec_driver_sql(f"NOTIFY {CHANNEL}")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(conn):  # type: ignore[no-untyped-def]
        if not conn.invalidated:  # an invalidated connection's info went with it (and asking would reconnect)
            conn.info.pop(_NOTIFIED, None)


class OutboxListener:
    """A thread on a connection of its own, LISTENing: `wake` for every notification. It reconnects after a
    failure (a restarted database), at most once a second; meanwhile the relay's own look still runs."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._wake()  # anything committed before it listened is read at the relay's look
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._wake()
            except psycopg.Error as exc:
                log.debug("outbox listener lost its connection (%s); listening again", type(exc).__name__)
                self._stopped.wait(1.0)
