"""Webhook deliveries and SLA warnings are kept per (department, period) and refreshed where facts changed, with
the department figures' marks: whether the kept rows are fresh, stale (a catch-up cut short) or adopted from a
read model written before they were kept, each answer is the one counted from the facts at the question (the
reference: those queries as they were), to the byte."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from jiesu_audit.queries import signals
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import offers, signal_periods, stale_groups
from jiesu_simulator.offline import generate
from tests.domain import audit_signal_reference as reference
from tests.domain.audit_readmodel import decoded, fresh_database, project, rows, taken_unrefreshed
from tests.domain.test_audit_department_groups import answers as department_answers

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL

EVENTS = list(generate(cases=300, seed=4))  # offers of two kinds, webhooks delivered, SLA warnings
QUESTIONS = [*({"period": p, "first": None, "last": None} for p in ("month", "week", "day")),
             {"period": "week", "first": "2026-W02", "last": "2026-W04"},
             {"period": "day", "first": "2026-01-10", "last": "2026-01-12", "department": "housing"},
             {"period": "month", "first": None, "last": None, "department": "street-office"}]


def answers(database, of=signals) -> str:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        conn = session.connection()
        return json.dumps([(q, of.deliveries(conn, **q), of.sla_warnings(conn, **q)) for q in QUESTIONS])


def counted_afresh(database) -> str:  # type: ignore[no-untyped-def]
    return answers(database, reference)


def test_kept_rows_refreshed_stretch_by_stretch_answer_as_counted_from_the_facts() -> None:
    database = fresh_database()
    project(database, EVENTS, stretch=400)
    assert rows(database, stale_groups) == 0 and rows(database, signal_periods) > 0
    assert answers(database) == counted_afresh(database)
    month = json.loads(answers(database))[2]  # the test has teeth: every part of the answer is there
    assert sum(r["offers"] for r in month[1]) == sum(e.type == "task.offered.v1" for e in EVENTS)
    assert any(r["delivery_seconds"]["count"] for r in month[1]) and sum(r["heeded"] for r in month[2]) > 0
    with database.reading() as session:
        assert session.connection().execute(select(offers.c.kind).where(offers.c.kind != "case")).first()


def test_the_answer_is_read_from_the_kept_rows() -> None:
    database = fresh_database()
    project(database, EVENTS)
    with database.transaction() as session:  # a kept row that disagrees with the facts is what is answered
        session.connection().execute(update(signal_periods).values(tally=json.dumps({"deliveries": {
            "offers": 999, "delivered": 0, "attempts": 0, "failures": 0,
            "delivery_seconds": {"count": 0, "median": None, "p90": None}}})))
    assert {r["offers"] for r in json.loads(answers(database))[0][1]} == {999}


def test_groups_left_stale_are_counted_at_the_question_and_kept_at_the_refresh() -> None:
    database = fresh_database()
    projector = Projector(database, "t", CaseStates(10))
    half = len(EVENTS) // 2
    projector.apply(decoded(0, EVENTS[:half]), {0: half})
    with projector.batch([0]) as batch:  # as a catch-up's batch before its last: facts written, rows stale
        batch.refresh = False
        batch.take(decoded(half, EVENTS[half:]), {0: len(EVENTS)})
    assert rows(database, stale_groups) > 0
    assert answers(database) == counted_afresh(database)
    projector.refresh_departments()
    assert rows(database, stale_groups) == 0
    assert answers(database) == counted_afresh(database)


def test_a_read_model_written_before_the_signals_were_kept_is_adopted() -> None:
    database = fresh_database()
    project(database, EVENTS)
    departments_before = department_answers(database)
    with database.transaction() as session:  # as the previous version left it: department rows, no signal rows
        session.connection().execute(signal_periods.delete())
    assert answers(database) != counted_afresh(database)  # without adoption: nothing kept, nothing stale
    assert Projector(database, "t", CaseStates(10)).adopt_old_read_model() > 0
    assert rows(database, stale_groups) == 0 and rows(database, signal_periods) > 0
    assert answers(database) == counted_afresh(database)
    assert department_answers(database) == departments_before
    assert Projector(database, "t", CaseStates(10)).adopt_old_read_model() == 0  # once only


def test_a_catch_up_cut_short_is_left_to_count_its_groups_at_its_end() -> None:
    database = taken_unrefreshed(EVENTS)  # a first catch-up batch: facts and marks, no kept rows yet
    marked = rows(database, stale_groups)
    Projector(database, "t", CaseStates(10)).adopt_old_read_model()  # a restart: nothing counted before consuming
    assert rows(database, stale_groups) == marked > 0 and rows(database, signal_periods) == 0
    assert answers(database) == counted_afresh(database)
