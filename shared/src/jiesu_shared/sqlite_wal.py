"""Put a SQLite connection's file in WAL mode even while other processes open the same file.

Switching to WAL takes an exclusive lock, and SQLite can answer "database is locked" at once, without its
busy handler, while another process is creating the file or recovering its WAL (two services starting on
a fresh embedded log). WAL is recorded in the file, so once any process has switched, the others only
need to see it; until then they try again, with a deadline, instead of failing to start.
"""
from __future__ import annotations

import sqlite3
import time

from jiesu_shared.backoff import Backoff


def enter_wal(conn: sqlite3.Connection, deadline_seconds: float = 30.0) -> None:
    give_up_at = time.monotonic() + deadline_seconds
    backoff = Backoff(first=0.005, cap=0.2)
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            mode = None
        if mode == "wal":
            return
        if time.monotonic() >= give_up_at:
            raise sqlite3.OperationalError(f"could not put the database in WAL mode within {deadline_seconds:g} s")
        time.sleep(backoff.next())
