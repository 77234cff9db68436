"""A catch-up into an empty read model runs without the timeline's unique index (built at its end), so each
case's history tells the duplicates a relay appended: every event still counts once — folded once, on the
timeline once — whether its duplicate comes in the same stretch, a later batch, or after its case's history
went to its row and back; a duplicate about no case is taken off the timeline when the index is built."""
from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import inspect

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.store import Database

from jiesu_audit.domain.history import case_id_of
from jiesu_audit.readmodel.catchup import EmbeddedCatchUp
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.states import CaseStates
from tests.contract.test_bus_contract import publish
from tests.domain.audit_known_log import known_log
from tests.domain.audit_readmodel import fresh_database, project
from tests.domain.test_audit_projector import facts_of
from tests.integration.test_audit_catch_up import on_the_log

TOPIC = "dupes.events"
EVENTS = known_log()


def caught_up(tmp_path: Path, relayed: list, database: Database, start: int) -> SimpleNamespace:
    """`relayed` on a log, caught up from `start` with a cache of one case and batches of two (histories go to
    their rows and come back between duplicates); the facts must be the known log's. Returns the counts."""
    log = tmp_path / "log.sqlite3"
    asyncio.run(publish(EmbeddedBus(log), on_the_log(relayed, TOPIC, poison=False)))
    catch_up = EmbeddedCatchUp(log, TOPIC, Projector(database, TOPIC, CaseStates(1)), 3, 2)
    progress = SimpleNamespace(events=0, duplicates=0)
    assert catch_up.run(start, catch_up.end(), progress, lambda poison: None, lambda: False)
    reference = fresh_database()
    project(reference, EVENTS)
    assert facts_of(database) == facts_of(reference)
    return progress


def test_a_fresh_catch_up_counts_every_duplicate_once(tmp_path: Path) -> None:
    about_no_case = [e for e in EVENTS if case_id_of(e) is None]
    assert about_no_case
    relayed = [*EVENTS[:20], *EVENTS[3:8], *EVENTS[20:], *EVENTS[:2], *about_no_case, EVENTS[-1]]
    database = fresh_database()
    progress = caught_up(tmp_path, relayed, database, 0)
    assert (progress.events, progress.duplicates) == (len(EVENTS), len(relayed) - len(EVENTS))
    unique = [i for i in inspect(database.engine).get_indexes("timeline") if i["unique"]]
    assert [i["column_names"] for i in unique] == [["event_id"]]


def test_a_catch_up_into_a_read_model_with_events_keeps_the_unique_index(tmp_path: Path) -> None:
    database = fresh_database()
    project(database, EVENTS[:1])  # on the timeline already: nothing is deferred, the index tells duplicates
    progress = caught_up(tmp_path, [*EVENTS, *EVENTS[:5]], database, 1)
    assert (progress.events, progress.duplicates) == (len(EVENTS) - 1, 5)
