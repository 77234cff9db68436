"""The three rates, the rankings and a department's figures read kept rows: the responses and verdicts counted per
(month, department) and the response times per (month, street), refreshed where facts changed. Whether the kept
rows are fresh, stale (a catch-up cut short) or adopted from a read model written before they were kept, each
answer is the one counted from every response and verdict at the question (the reference: those queries as they
were), to the byte; and what is answered is what is kept."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from sqlalchemy import update

from jiesu_audit.queries import department_figures, rankings, rate_tallies, rates
from jiesu_audit.readmodel.facts import micros
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.tables import rate_periods, stale_groups, stale_streets, street_times
from jiesu_simulator.offline import generate
from tests.domain import audit_rates_reference as reference
from tests.domain.audit_readmodel import decoded, fresh_database, project, rows, taken_unrefreshed
from tests.domain.test_audit_department_groups import answers as department_answers

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL

CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())

def _some_never_answered(events: list) -> list:
    """The district with every fifth task's response left out: accepted tasks never answered, overdue or not."""
    left_out = {id(e) for e in [e for e in events if e.type == "task.responded.v1"][::5]}
    return [e for e in events if id(e) not in left_out]


EVENTS = _some_never_answered(list(generate(cases=300, seed=4)))
# The response deadlines fall on 2 January: at noon some of the unanswered tasks are overdue, later all.
AS_OF = (datetime(2026, 1, 2, 12, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
MONTHS = ("2026-01", "2026-02", "2025-12")  # the last: nothing in it
DEPARTMENTS = ("housing", "street-office", "nobody")


def answers(database, of=None) -> str:  # type: ignore[no-untyped-def]
    ask = {"rates": rates.three_rates, "rankings": rankings.research_rankings,
           "figures": department_figures.department_figures} if of is None else {
        "rates": of.three_rates, "rankings": of.research_rankings, "figures": of.department_figures}
    with database.reading() as session:
        conn = session.connection()
        return json.dumps([[ask["rates"](conn, CONFIG, month=m, as_of=t),
                            ask["rankings"](conn, CONFIG, month=m, as_of=t, resamples=200),
                            [ask["figures"](conn, CONFIG, department=d, month=m, as_of=t) for d in DEPARTMENTS]]
                           for m in MONTHS for t in AS_OF])


def counted_afresh(database) -> str:  # type: ignore[no-untyped-def]
    return answers(database, reference)


def test_kept_rows_refreshed_stretch_by_stretch_answer_as_counted_from_the_facts() -> None:
    database = fresh_database()
    project(database, EVENTS, stretch=400)
    assert rows(database, stale_groups) == rows(database, stale_streets) == 0
    assert rows(database, rate_periods) > 0 and rows(database, street_times) > 0
    assert answers(database) == counted_afresh(database)
    # the test has teeth: answered, overdue and verdicts, and streets with response times, are all in the answers
    with database.reading() as session:
        conn = session.connection()
        early, late = (sum(n for *_, n in rate_tallies.overdue_unanswered(conn, "2026-01", micros(t))) for t in AS_OF)
        assert 0 < early < late
        tallies = dict(rate_tallies.of_month(conn, "2026-01"))
    assert any("responses" in t for t in tallies.values()) and any("verdicts" in t for t in tallies.values())
    month = json.loads(answers(database))[1]
    assert month[0]["departments"][0]["counted"]["response"] > 0
    assert month[1]["response_time_by_street"]["groups"] > 1 and month[1]["response_time_by_street"]["p_value"]
    early, late = json.loads(answers(database))[:2]
    assert early[0] != late[0]  # the overdue part depends on "now"


def test_the_answer_is_read_from_the_kept_rows() -> None:
    database = fresh_database()
    project(database, EVENTS)
    with database.transaction() as session:  # kept rows that disagree with the facts are what is answered
        conn = session.connection()
        conn.execute(update(rate_periods).values(tally=json.dumps({"responses": [["Nowhere/Lane", 7, 7]]})))
        conn.execute(update(street_times).values(responded=5, mean=3600.0, within_ss=7200.0))
    answered = json.loads(answers(database))[1]
    assert "Nowhere/Lane" in {s["street"] for s in answered[0]["streets"]}
    assert {s["count"] for s in answered[1]["response_time_by_street"]["streets"]} == {5}


def test_groups_left_stale_are_counted_at_the_question_and_kept_at_the_refresh() -> None:
    database = fresh_database()
    projector = Projector(database, "t", CaseStates(10))
    half = len(EVENTS) // 2
    projector.apply(decoded(0, EVENTS[:half]), {0: half})
    kept_before = answers(database)
    with projector.batch([0]) as batch:  # as a catch-up's batch before its last: facts written, rows stale
        batch.refresh = False
        batch.take(decoded(half, EVENTS[half:]), {0: len(EVENTS)})
    assert rows(database, stale_groups) > 0 and rows(database, stale_streets) > 0
    assert answers(database) == counted_afresh(database) != kept_before
    projector.refresh_departments()
    assert rows(database, stale_groups) == rows(database, stale_streets) == 0
    assert answers(database) == counted_afresh(database)


def test_a_read_model_written_before_the_rates_were_kept_is_adopted() -> None:
    database = fresh_database()
    project(database, EVENTS)
    departments_before = department_answers(database)
    with database.transaction() as session:  # as the previous version left it: department rows, no rate rows
        session.connection().execute(rate_periods.delete())
        session.connection().execute(street_times.delete())
    assert answers(database) != counted_afresh(database)  # without adoption: nothing kept, nothing stale
    assert Projector(database, "t", CaseStates(10)).adopt_old_read_model() > 0
    assert rows(database, stale_groups) == rows(database, stale_streets) == 0
    assert rows(database, rate_periods) > 0 and rows(database, street_times) > 0
    assert answers(database) == counted_afresh(database)
    assert department_answers(database) == departments_before
    assert Projector(database, "t", CaseStates(10)).adopt_old_read_model() == 0  # once only


def test_a_catch_up_cut_short_is_left_to_count_its_groups_at_its_end() -> None:
    database = taken_unrefreshed(EVENTS)  # a first catch-up batch: facts and marks, no kept rows yet
    marked = rows(database, stale_groups), rows(database, stale_streets)
    Projector(database, "t", CaseStates(10)).adopt_old_read_model()  # a restart: nothing counted before consuming
    assert (rows(database, stale_groups), rows(database, stale_streets)) == marked and min(marked) > 0
    assert rows(database, rate_periods) == rows(database, street_times) == 0
    assert answers(database) == counted_afresh(database)
