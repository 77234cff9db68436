"""Each department's figures per period are kept as rows and refreshed where facts changed: whatever the
stretches, and whether the kept rows are fresh or stale (a catch-up cut short), the answer is the one
counted from the facts at the question."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from jiesu_audit.queries.departments import department_rows
from jiesu_audit.readmodel.projector import Decoded, Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import department_periods, stale_groups
from tests.domain.audit_known_log import AS_OF, known_log
from tests.domain.audit_readmodel import fresh_database, project

EVENTS = known_log()


def answers(database) -> dict:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        conn = session.connection()
        return {p: department_rows(conn, period=p, as_of=AS_OF) for p in ("month", "week", "day")}


def counts(database) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        conn = session.connection()
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (department_periods, stale_groups))


def test_kept_rows_refreshed_stretch_by_stretch_give_the_answer_counted_at_once() -> None:
    by_stretches, at_once = fresh_database(), fresh_database()
    project(by_stretches, EVENTS, stretch=3)
    project(at_once, EVENTS, stretch=10_000)
    assert counts(by_stretches)[1] == 0 and counts(by_stretches)[0] > 0  # kept, none stale
    assert answers(by_stretches) == answers(at_once)
    assert any(row["time_to_decide_seconds"]["count"] for row in answers(at_once)["month"])  # the test has teeth


def test_a_batch_left_unrefreshed_is_counted_at_the_question() -> None:
    reference, cut_short = fresh_database(), fresh_database()
    project(reference, EVENTS)
    projector = Projector(cut_short, "t", CaseStates(10))
    half = len(EVENTS) // 2
    projector.apply([Decoded.of(0, n, e, json.dumps(e.data)) for n, e in enumerate(EVENTS[:half])], {0: half})
    with projector.batch([0]) as batch:  # as a catch-up's batch before its last: facts written, rows stale
        batch.refresh = False
        batch.take([Decoded.of(0, half + n, e, json.dumps(e.data)) for n, e in enumerate(EVENTS[half:])],
                   {0: len(EVENTS)})
    assert counts(cut_short)[1] > 0
    assert answers(cut_short) == answers(reference)


def test_a_read_model_written_before_department_rows_were_kept_is_adopted() -> None:
    reference, old = fresh_database(), fresh_database()
    project(reference, EVENTS)
    project(old, EVENTS)
    with old.transaction() as session:  # as an audit of the previous version left it: facts, no department rows
        session.connection().execute(department_periods.delete())
        session.connection().execute(stale_groups.delete())
    assert answers(old) != answers(reference)  # without adoption: only the open meeting tasks, counted now
    assert Projector(old, "t", CaseStates(10)).adopt_old_read_model() > 0
    assert counts(old)[1] == 0
    assert answers(old) == answers(reference)
    assert Projector(old, "t", CaseStates(10)).adopt_old_read_model() == 0  # once only
