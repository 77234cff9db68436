"""Audit's projector applies the log exactly once in effect, whatever the cache holds: a redelivered
stretch, an event appended twice by a relay, and a cache of one case all give the same facts."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from jiesu_audit.projections.timeline import TimelineEntry
from jiesu_audit.readmodel.projector import Decoded, Projector, StaleStretch
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import PER_CASE, cases, positions
from tests.domain.audit_known_log import known_log
from tests.domain.audit_readmodel import fresh_database, project

EVENTS = known_log()


def decoded(events, first_offset: int = 0) -> list[Decoded]:  # type: ignore[no-untyped-def]
    return [Decoded.of(0, first_offset + n, e, json.dumps(e.data, sort_keys=True)) for n, e in enumerate(events)]


def facts_of(database) -> dict[str, list]:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        conn = session.connection()
        found = {t.name: sorted(tuple(str(v) for k, v in row._mapping.items() if k != "id")
                                for row in conn.execute(select(t))) for t in PER_CASE}
        found["cases"] = sorted(tuple(str(v) for k, v in row._mapping.items() if k not in ("state", "version"))
                                for row in conn.execute(select(cases)))  # revisions differ with stretch sizes
        found["timeline"] = conn.execute(select(func.count()).select_from(TimelineEntry.__table__)).scalar_one()
        return found


def test_a_cache_of_one_case_gives_the_same_facts_as_a_large_one() -> None:
    small, large = fresh_database(), fresh_database()
    project(small, EVENTS, stretch=7, cached=1)
    project(large, EVENTS, stretch=1000, cached=1000)
    assert facts_of(small) == facts_of(large)


def test_a_redelivered_stretch_and_a_relayed_duplicate_change_nothing() -> None:
    database = fresh_database()
    projector = Projector(database, "t", CaseStates(10))
    projector.apply(decoded(EVENTS), {0: len(EVENTS)})
    once = facts_of(database)
    again = projector.apply(decoded(EVENTS), {0: len(EVENTS)})  # the same offsets: below the stored position
    relayed = projector.apply(decoded(EVENTS[:5], len(EVENTS)), {0: len(EVENTS) + 5})  # same ids, new offsets
    assert (again.events, relayed.events, relayed.duplicates) == (0, 0, 5)
    assert facts_of(database) == once
    with database.reading() as session:
        assert session.connection().execute(select(positions.c.next_offset)).scalar_one() == len(EVENTS) + 5


def test_a_partition_moved_on_by_another_instance_is_not_overwritten() -> None:
    database = fresh_database()
    mine, theirs = Projector(database, "t", CaseStates(10)), Projector(database, "t", CaseStates(10))
    mine.apply(decoded(EVENTS[:10]), {0: 10})
    theirs.apply(decoded(EVENTS[10:20], 10), {0: 20})  # the partition went to another instance meanwhile
    applied = mine.apply(decoded(EVENTS[10:30], 10), {0: 30})  # mine goes on: its cache is stale for 10..19
    assert applied.events == 10  # only 20..29: what the other instance applied is skipped
    reference = fresh_database()
    project(reference, EVENTS[:30])
    assert facts_of(database) == facts_of(reference)


def test_compare_and_set_refuses_a_stale_position() -> None:
    database = fresh_database()
    projector = Projector(database, "t", CaseStates(10))
    projector.apply(decoded(EVENTS[:10]), {0: 10})
    with database.transaction() as session:
        with pytest.raises(StaleStretch):
            projector._store_positions(session.connection(), {0: 5}, {0: 20})


def test_a_case_folded_by_two_instances_is_never_overwritten_with_a_stale_history() -> None:
    # A meeting's decision is keyed by the meeting, so it can reach another partition than its case's events:
    # instance B folds it into case 3 while instance A, whose cache holds case 3, goes on with the case.
    case_3 = [e for e in EVENTS if e.data.get("case_id") == "case-3"]
    decision = next(n for n, e in enumerate(case_3) if e.type == "meeting.decision_recorded.v1")
    before, meeting, after = case_3[:decision], case_3[decision], case_3[decision + 1:]
    database = fresh_database()
    a, b = Projector(database, "t", CaseStates(10)), Projector(database, "t", CaseStates(10))
    a.apply([Decoded.of(0, n, e, json.dumps(e.data)) for n, e in enumerate(before)], {0: len(before)})
    b.apply([Decoded.of(1, 0, meeting, json.dumps(meeting.data))], {1: 1})
    stretch = [Decoded.of(0, len(before) + n, e, json.dumps(e.data)) for n, e in enumerate(after)]
    with pytest.raises(StaleStretch):
        a.apply(stretch, {0: len(case_3)})
    a.apply(stretch, {0: len(case_3)})  # again, as the consumer does: from the stored history this time
    reference = fresh_database()
    project(reference, before + [meeting] + after)
    assert facts_of(database) == facts_of(reference)
