"""A widened district (the 1,000,000-case benchmark's log) is as lawful as the simulated one it copies: each
copy's cases are new cases with new ids, and audit folds each copy exactly as it folds the original; a widened
read model keeps the department rows audit would count from its facts, and answers the three rates and rankings
as counted from them."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.store import Database

from jiesu_audit.domain.history import fold
from jiesu_audit.queries import departments
from jiesu_audit.readmodel.groups import refresh
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import rate_periods
from jiesu_audit.replay.sources import from_stored_record
from jiesu_simulator.bench.widen import MAX_COPIES, copy_of, widen
from jiesu_simulator.bench.widen_audit import widen_audit
from jiesu_simulator.offline import generate
from jiesu_simulator.sinks import publish_to_bus
from tests.domain import test_audit_kept_rates as kept_rates
from tests.domain.audit_readmodel import fresh_database, project

TOPIC, COPIES = "jiesu.case-events", 3


def events_of(log: Path) -> list:
    with closing(sqlite3.connect(log)) as conn:
        rows = conn.execute("SELECT offset, headers, value FROM records ORDER BY offset").fetchall()
    assert [offset for offset, _, _ in rows] == list(range(len(rows)))  # offsets without a gap
    return [from_stored_record(offset, headers, value).envelope for offset, headers, value in rows]


def test_each_copy_is_a_new_lawful_district_folded_as_the_original(tmp_path: Path) -> None:
    source, wider = tmp_path / "district.sqlite3", tmp_path / "wider.sqlite3"
    asyncio.run(publish_to_bus(generate(cases=150, seed=3), EmbeddedBus(source), TOPIC))
    original = events_of(source)
    assert widen(source, wider, COPIES) == COPIES * len(original)
    widened = events_of(wider)
    assert None not in widened
    for envelope in widened:
        parse_payload(envelope.type, envelope.data)
    assert all(a.time <= b.time for a, b in zip(widened, widened[1:]))  # still in time order
    assert len({e.id for e in widened}) == len(widened)  # no event id repeated across copies
    histories, wider_histories = fold(original), fold(widened)
    assert len(wider_histories) == COPIES * len(histories)
    for copy in range(COPIES):
        for case_id, history in histories.items():
            twin = wider_histories[copy_of(case_id.encode(), copy).decode()]
            assert repr(twin) == copy_of(repr(history).encode(), copy).decode()  # every fact, ids renamed


def test_every_copy_renames_ids_apart_from_every_other_copy() -> None:
    ids = [e.id.encode() for e in generate(cases=20, seed=5)]
    renamed = {copy_of(i, copy) for i in ids for copy in range(MAX_COPIES)}
    assert len(renamed) == len(ids) * MAX_COPIES
    assert [copy_of(i, 0) for i in ids] == ids  # the original keeps its ids


def test_a_widened_read_model_keeps_the_department_rows_audit_counts_from_its_facts(tmp_path: Path) -> None:
    """widen_audit scales each department row (counts times the copies, medians and p90s kept): exactly what
    audit counts afresh from the widened facts."""
    source = fresh_database()
    project(source, generate(cases=120, seed=8))
    with source.transaction() as session:
        refresh(session.connection())
    target = tmp_path / "wider.sqlite3"
    widen_audit(Path(source.engine.url.database), target, COPIES)
    wider = Database(f"sqlite:///{target}")
    for period in ("month", "week", "day"):
        with wider.reading() as session:
            conn = session.connection()
            kept = departments.department_rows(conn, period=period, as_of=datetime(2026, 3, 1, tzinfo=UTC))
            counted = departments.counted(conn, period, {(r["department"], r["period"]) for r in kept})
        assert kept and any(r["offers"] > COPIES for r in kept)
        for row in kept:
            fresh = departments._view({**counted[(row["department"], row["period"])], "meeting_open": 0,
                                       "meeting_overdue": 0})
            assert {**row, "meeting_tasks": fresh["meeting_tasks"]} == \
                {"department": row["department"], "period": row["period"], **fresh}


def test_a_widened_read_model_answers_the_three_rates_and_rankings_as_counted_from_its_facts(tmp_path: Path) -> None:
    """widen_audit scales the rates' counts and leaves the response times by street to be counted at start (float
    sums in order, which a repeated multiset does not keep to the bit): once adopted, every answer is the one the
    old queries count from the widened facts."""
    source = fresh_database()
    project(source, kept_rates.EVENTS)
    target = tmp_path / "wider.sqlite3"
    widen_audit(Path(source.engine.url.database), target, COPIES)
    wider = Database(f"sqlite:///{target}")
    with wider.reading() as session:
        assert session.connection().execute(select(func.count()).select_from(rate_periods)).scalar_one() > 0
    assert Projector(wider, "t", CaseStates(10)).adopt_old_read_model() > 0  # the street times, counted at start
    assert kept_rates.answers(wider) == kept_rates.counted_afresh(wider)
    assert json.loads(kept_rates.answers(wider))[1][0]["departments"][0]["counted"]["response"] % COPIES == 0
