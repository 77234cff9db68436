"""A large catch-up reads and decodes the log in a second process: the read model it makes is the one the
catch-up makes reading in its own thread (poison dead-lettered with the same reasons, duplicates counted once),
a catch-up stopped early leaves no process behind, and a reader that cannot read the log fails the catch-up
with its reason."""
from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from jiesu_shared.bus.embedded import EmbeddedBus

from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel.catchup import EmbeddedCatchUp
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.reader_process import ReaderFailed
from jiesu_audit.readmodel.states import CaseStates
from tests.contract.test_bus_contract import publish
from tests.domain.audit_known_log import known_log
from tests.domain.audit_readmodel import fresh_database
from tests.domain.test_audit_projector import facts_of
from tests.integration.test_audit_catch_up import on_the_log

TOPIC = "reader.events"
EVENTS = known_log()
IN_A_SECOND_PROCESS, IN_THE_CATCH_UP = 0, 10**9  # the size of catch-up from which the reader is a process


def a_log(tmp_path: Path) -> Path:
    """The known log with two poison records and a relay's duplicates."""
    log = tmp_path / "log.sqlite3"
    relayed = on_the_log([*EVENTS, *EVENTS[5:9]], TOPIC, poison=True)
    asyncio.run(publish(EmbeddedBus(log), relayed))
    return log


def caught_up(log: Path, reader_from: int, stop_after: int | None = None):  # type: ignore[no-untyped-def]
    database = fresh_database()
    catch_up = EmbeddedCatchUp(log, TOPIC, Projector(database, TOPIC, CaseStates(2)), 7, 5, reader_from)
    progress, poison, checks = SimpleNamespace(events=0, duplicates=0), [], []

    def stopping() -> bool:
        checks.append(1)
        return stop_after is not None and len(checks) > stop_after
    finished = catch_up.run(0, catch_up.end(), progress, poison.extend, stopping)
    return SimpleNamespace(database=database, progress=progress, poison=poison, finished=finished)


def timeline_of(database) -> list[tuple]:  # type: ignore[no-untyped-def]
    table = TimelineEntry.__table__  # type: ignore[attr-defined]
    with database.reading() as session:
        rows = session.connection().execute(select(table).order_by(table.c.event_id))
        return [tuple(v for k, v in row._mapping.items() if k != "id") for row in rows]


def test_the_read_model_is_the_same_whichever_process_reads_the_log(tmp_path: Path) -> None:
    log = a_log(tmp_path)
    elsewhere, here = caught_up(log, IN_A_SECOND_PROCESS), caught_up(log, IN_THE_CATCH_UP)
    assert elsewhere.finished and here.finished
    assert (elsewhere.progress.events, elsewhere.progress.duplicates) == (len(EVENTS), 4)
    assert vars(elsewhere.progress) == vars(here.progress)
    assert [(p[0], p[2], p[4]) for p in elsewhere.poison] == [(p[0], p[2], p[4]) for p in here.poison]
    assert [p[4].split(":")[0] for p in elsewhere.poison] == ["undecodable", "invalid payload"]
    assert facts_of(elsewhere.database) == facts_of(here.database)
    assert timeline_of(elsewhere.database) == timeline_of(here.database)
    assert multiprocessing.active_children() == []


def test_a_catch_up_stopped_early_leaves_no_reader_behind(tmp_path: Path) -> None:
    stopped = caught_up(a_log(tmp_path), IN_A_SECOND_PROCESS, stop_after=3)
    assert not stopped.finished
    assert 0 < stopped.progress.events < len(EVENTS)
    assert multiprocessing.active_children() == []


def test_a_reader_that_cannot_read_the_log_fails_the_catch_up_with_its_reason(tmp_path: Path) -> None:
    log = a_log(tmp_path)
    catch_up = EmbeddedCatchUp(log, TOPIC, Projector(fresh_database(), TOPIC, CaseStates(2)), 7, 5, 0)
    end = catch_up.end()
    log.unlink()  # gone between the look at its end and the reading
    with pytest.raises(ReaderFailed, match="unable to open database file"):
        catch_up.run(0, end, SimpleNamespace(events=0, duplicates=0), lambda poison: None, lambda: False)
    assert multiprocessing.active_children() == []
