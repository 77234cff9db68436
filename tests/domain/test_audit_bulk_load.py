"""A catch-up into an empty read model builds the indexes only questions read (the timeline's by case, the
facts' by period, department, place…) and the timeline's unique one of event ids at its end instead of row by
row: whether it ends or is stopped, they are there afterwards (or put back at the next start). Its commits are
flushed again afterwards."""
from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import inspect

from jiesu_audit.readmodel.bulk_load import (collecting_per_batch, commits_not_flushed, restore_indexes,
                                             indexes_deferred)

from tests.domain.audit_readmodel import fresh_database


def _timeline_indexes(database) -> set[str]:  # type: ignore[no-untyped-def]
    return {index["name"] for index in inspect(database.engine).get_indexes("timeline")}


def _index_names(database) -> set[str]:  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())


def test_the_index_by_case_is_dropped_for_the_catch_up_and_built_at_its_end() -> None:
    database = fresh_database()
    assert "ix_timeline_case_id" in _timeline_indexes(database)
    with indexes_deferred(database):
        assert "ix_timeline_case_id" not in _timeline_indexes(database)
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_the_facts_indexes_only_questions_read_are_built_at_the_end_those_by_case_stay() -> None:
    database = fresh_database()
    before = _index_names(database)
    assert {"ix_audit_offers_responses", "ix_audit_cases_slowest", "ix_audit_returns_edge_cost"} <= before
    with indexes_deferred(database):
        during = _index_names(database)
        assert not {"ix_audit_offers_responses", "ix_audit_cases_slowest", "ix_audit_returns_edge_cost"} & during
        assert {"ix_audit_offers_department", "ix_audit_callbacks_verdicts"}.isdisjoint(during)
        assert {"ix_audit_breaches_case_id", "ix_audit_marks_case_id"} <= during
    assert _index_names(database) == before


def _unique_indexes(database) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [index["column_names"] for index in inspect(database.engine).get_indexes("timeline") if index["unique"]]


def _put(database, *rows: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    with database.engine.begin() as conn:
        for case_id, event_id in rows:
            conn.exec_driver_sql("INSERT INTO timeline (case_id, event_id, type, source, sequence, time, "
                                 "correlation_id, data) VALUES (?, ?, 't', 's', 1, '2026-01-01 00:00:00', 'c', '{}')",
                                 (case_id, event_id))


def test_the_unique_index_of_event_ids_is_built_at_the_end_without_the_duplicates_about_no_case() -> None:
    database = fresh_database()
    assert _unique_indexes(database) == [["event_id"]]
    with indexes_deferred(database) as deferral:
        assert deferral.deferred and _unique_indexes(database) == []
        _put(database, ("meeting-1", "e1"), ("c1", "e2"), ("meeting-1", "e1"))  # one went on twice meanwhile
    assert deferral.duplicates_removed == 1 and _unique_indexes(database) == [["event_id"]]
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, event_id FROM timeline ORDER BY id").all() == [(1, "e1"), (2, "e2")]


def test_an_empty_timeline_made_with_the_old_unique_constraint_is_made_again_for_the_catch_up() -> None:
    database = fresh_database()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE timeline")
        conn.exec_driver_sql("CREATE TABLE timeline (id INTEGER PRIMARY KEY, case_id VARCHAR(64) NOT NULL, "
                             "event_id VARCHAR(64) NOT NULL, type VARCHAR(100) NOT NULL, source VARCHAR(200) NOT NULL, "
                             "sequence INTEGER NOT NULL, time DATETIME NOT NULL, correlation_id VARCHAR(64) NOT NULL, "
                             "causation_id VARCHAR(64), traceparent VARCHAR(100), data TEXT NOT NULL, "
                             "CONSTRAINT uq_timeline_event UNIQUE (event_id))")
    with indexes_deferred(database) as deferral:
        assert deferral.deferred and _unique_indexes(database) == []
    assert _unique_indexes(database) == [["event_id"]]
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_a_catch_up_into_a_read_model_with_events_defers_nothing() -> None:
    database = fresh_database()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO timeline (case_id, event_id, type, source, sequence, time, correlation_id, "
                             "data) VALUES ('c', 'e', 't', 's', 1, '2026-01-01 00:00:00', 'c', '{}')")
    before = _index_names(database)
    with indexes_deferred(database):
        assert _index_names(database) == before


def test_a_catch_up_that_fails_still_builds_the_index() -> None:
    database = fresh_database()
    with pytest.raises(RuntimeError), indexes_deferred(database):
        raise RuntimeError("stopped")
    assert "ix_timeline_case_id" in _timeline_indexes(database)


def test_an_index_left_dropped_by_a_killed_catch_up_is_put_back_at_the_next_start() -> None:
    database = fresh_database()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_timeline_case_id")
        conn.exec_driver_sql("DROP INDEX ix_audit_cases_slowest")
        conn.exec_driver_sql("DROP INDEX uq_timeline_event")
    _put(database, ("meeting-1", "e1"), ("meeting-1", "e1"))
    assert restore_indexes(database) == 1
    assert "ix_timeline_case_id" in _timeline_indexes(database)
    assert "ix_audit_cases_slowest" in _index_names(database)
    assert _unique_indexes(database) == [["event_id"]]


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
        with ThreadPoolExecutor(1) as other:  # the HTTP server's threads, the live consumer's: as ever
            assert other.submit(_synchronous, database).result() == full
    assert _synchronous(database) == full
