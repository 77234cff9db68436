"""The catch-up's reader process: it hands over the embedded log's records decoded, in order, with the bad
ones apart and their reasons, exactly as reading in the catch-up's own process would; it ends when the
catch-up stops early, and a failure of its own fails the catch-up instead of ending it quietly."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from jiesu_shared.bus.embedded import EmbeddedBus

from jiesu_audit.readmodel.reader import LogReader, read_stretches
from jiesu_audit.readmodel.ready import time_value
from tests.contract.test_bus_contract import publish
from tests.domain.audit_known_log import known_log
from tests.integration.test_audit_catch_up import on_the_log

TOPIC = "reader.events"
TIME_OF = time_value(sqlite.dialect())


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    asyncio.run(publish(EmbeddedBus(path), on_the_log(known_log(), TOPIC, poison=True)))
    return path


def test_the_reader_hands_over_what_reading_here_would_give(log_file: Path) -> None:
    end = len(known_log()) + 2  # the two bad records too
    reader = LogReader(log_file, TOPIC, 0, end, 8, TIME_OF)
    try:
        handed = list(reader.stretches())
    finally:
        reader.close()
    assert handed == list(read_stretches(log_file, TOPIC, 0, end, 8, TIME_OF))
    events = [r for stretch, _, _ in handed for r in stretch]
    assert [r[2][1] for r in events] == [e.id for e in known_log()]  # every event once, in log order
    assert [reason.split(":")[0] for _, poison, _ in handed for *_, reason in poison] == ["undecodable",
                                                                                         "invalid payload"]
    assert handed[-1][2] == end


def test_the_reader_ends_when_the_catch_up_stops_taking(log_file: Path) -> None:
    reader = LogReader(log_file, TOPIC, 0, len(known_log()), 2, TIME_OF)
    next(reader.stretches())
    reader.close()
    assert not reader._process.is_alive()


def test_a_log_the_reader_cannot_read_fails_the_catch_up(tmp_path: Path) -> None:
    broken = tmp_path / "not-a-log.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    reader = LogReader(broken, TOPIC, 0, 10, 8, TIME_OF)
    try:
        with pytest.raises(OSError, match="reading the log failed: DatabaseError"):
            list(reader.stretches())
    finally:
        reader.close()


def test_a_reader_that_sends_nothing_fails_the_catch_up_after_its_patience(tmp_path: Path) -> None:
    stuck = tmp_path / "log.fifo"
    os.mkfifo(stuck)  # opening it waits for a writer that never comes: a reader stuck before its first stretch
    reader = LogReader(stuck, TOPIC, 0, 10, 8, TIME_OF)
    reader.patience_seconds = 1.0
    try:
        with pytest.raises(OSError, match="it sent nothing for 1.0 s"):
            list(reader.stretches())
    finally:
        reader.close()
    assert not reader._process.is_alive()
