"""Finding the due SLA timers costs the same however many timers have fired before (every timer fires in the end,
so the history of fired ones only grows), and a dispatch database from before gets that index at start."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from jiesu_shared.store import Database
from jiesu_shared.store.indexes import index_names

from jiesu_dispatch.adapters import ledger
from jiesu_dispatch.adapters.tables import RETIRED_INDEXES, UNFIRED_BY_DUE_TIME, TimerRow

START = datetime(2026, 11, 1, tzinfo=UTC)
_TIMERS = TimerRow.__table__  # type: ignore[attr-defined]


def _timers(database: Database, first: int, count: int, *, fired: bool) -> None:
    with database.engine.begin() as conn:
        conn.execute(_TIMERS.insert(), [
            {"timer_id": f"t{i}", "case_id": f"c{i}", "task_id": f"k{i}", "department_id": "housing",
             "clock": "respond", "phase": "deadline", "due_at": START + timedelta(minutes=i),
             "deadline": START + timedelta(minutes=i), "fired_at": START + timedelta(minutes=i) if fired else None,
             "fired_events": 0 if fired else None} for i in range(first, first + count)])


def _steps_to_find_due(database: Database, now: datetime) -> tuple[int, int]:
    """How many timers are due, and how many SQLite virtual-machine steps finding them took."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with database.reading() as session:
        raw = session.connection().connection.driver_connection
        raw.set_progress_handler(count, 1)
        try:
            due = ledger.due_timers(session, now, 100)
        finally:
            raw.set_progress_handler(None, 1)
    return len(due), steps


def test_finding_due_timers_does_not_walk_the_fired_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = {}
    for history in (100, 5_000):
        database = Database(f"sqlite:///{tmp_path}/dispatch-{history}.sqlite3")
        database.create_schema()
        _timers(database, 0, history, fired=True)
        _timers(database, history, 3, fired=False)
        found[history] = _steps_to_find_due(database, START + timedelta(minutes=history + 10))
        database.dispose()
    assert found[100][0] == found[5_000][0] == 3
    # the same work with 50 times the fired history (the old index walked every fired timer first)
    assert found[5_000][1] <= found[100][1] * 1.1, found


def test_a_database_from_before_gets_the_unfired_timers_index_at_start(database: Database) -> None:
    with database.engine.begin() as conn:  # as an older dispatch left it: every timer indexed by due time
        conn.execute(text(f"DROP INDEX {UNFIRED_BY_DUE_TIME}"))
        conn.execute(text(f"CREATE INDEX {RETIRED_INDEXES[0]} ON dispatch_timers (due_at)"))
    _timers(database, 0, 5, fired=True)
    _timers(database, 5, 2, fired=False)

    database.create_schema()  # what dispatch's start does
    database.settle_indexes(retired=RETIRED_INDEXES)

    with database.engine.connect() as conn:
        present = index_names(conn, "dispatch_timers")
    assert UNFIRED_BY_DUE_TIME in present and RETIRED_INDEXES[0] not in present
    with database.reading() as session:
        assert [timer_id for timer_id, _, _ in ledger.due_timers(session, START + timedelta(hours=1), 10)] == ["t5", "t6"]
        assert ledger.next_due(session, START) == START + timedelta(minutes=5)


@pytest.mark.parametrize("twice", [1, 2])
def test_settling_an_up_to_date_database_changes_nothing(database: Database, twice: int) -> None:
    with database.engine.connect() as conn:
        before = index_names(conn, "dispatch_timers")
    for _ in range(twice):
        assert database.settle_indexes(retired=RETIRED_INDEXES) == []
    with database.engine.connect() as conn:
        assert index_names(conn, "dispatch_timers") == before
