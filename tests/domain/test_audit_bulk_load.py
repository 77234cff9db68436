"""A catch-up into an empty timeline builds the timeline's index by case at its end instead of row by row:
whether it ends or is stopped, the index is there afterwards (or put back at the next start)."""
from __future__ import annotations

import gc

import pytest
from sqlalchemy import inspect

from jiesu_audit.readmodel.bulk_load import (collecting_per_batch, commits_not_flushed, restore_indexes,
                                             timeline_index_deferred)

from tests.domain.audit_readmodel import fresh_database


def _timeline_indexes(database) -> set[str]:  # type: ignore[no-untyped-def]
    return {index["name"] for index in inspect(database.engine).get_indexes("timeline")}


def test_the_index_by_case_is_dropped_for_the_catch_up_and_built_at_its_end() -> None:
    database = fresh_database()
    assert "ix_timeline_case_id" in _timeline_indexes(database)
    with timeline_index_deferred(database):
        assert "ix_timeline_case_id" not in _timeline_indexes(database)
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_a_catch_up_that_fails_still_builds_the_index() -> None:
    database = fresh_database()
    with pytest.raises(RuntimeError), timeline_index_deferred(database):
        raise RuntimeError("stopped")
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_an_index_left_dropped_by_a_killed_catch_up_is_put_back_at_the_next_start() -> None:
    database = fresh_database()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_timeline_case_id")
    restore_indexes(database)
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_the_collector_is_back_as_it_was_after_the_catch_up() -> None:
    assert gc.isenabled()
    with collecting_per_batch():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def _synchronous(database) -> int:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        return session.connection().exec_driver_sql("PRAGMA synchronous").scalar()


def test_commits_are_not_flushed_one_by_one_during_the_catch_up_only() -> None:
    database = fresh_database()
    full, normal = 2, 1
    assert _synchronous(database) == full
    with commits_not_flushed(database):
        assert _synchronous(database) == normal
    assert _synchronous(database) == full
