"""The outcome mix narrowed to a department (the cases whose last verdict was about its work as lead) or to a
place (a district, a street within it): worked out by hand on the known log, each the city's share; and a
read model written before cases carried their last verdict's lead department gets it at start."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from jiesu_audit.queries.rates import outcome_mix
from jiesu_audit.readmodel.indexes import settle_indexes
from jiesu_audit.readmodel.verdict_leads import ADDED, add_verdict_leads
from jiesu_simulator.offline import generate
from tests.domain.audit_known_log import known_log
from tests.domain.audit_readmodel import fold, fresh_database, project

pytestmark = pytest.mark.usefixtures("read_models")  # each test on SQLite and on PostgreSQL


def mix(database, month: str | None = None, **narrowed: Any) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with database.reading() as session:
        return outcome_mix(session.connection(), month, **narrowed)


def only(**counts: int) -> dict[str, int]:
    return {"resolved_satisfied": 0, "satisfied_unresolved": 0, "resolved_unsatisfied": 0, "neither": 0,
            "unresolvable": 0, **counts}


def test_the_outcome_mix_of_a_department_a_district_and_a_street() -> None:
    # Last verdicts: case 1 resolved_satisfied (lead housing, Dongcheng/Jingshan); case 2 satisfied_unresolved
    # (its first verdict, neither, is not its last; lead property-firm, Jingshan); case 4 resolved_unsatisfied
    # (urban-management, Haidian/Zhongguancun). Case 3 has no verdict.
    database = fold(known_log()).database
    assert mix(database) == only(resolved_satisfied=1, satisfied_unresolved=1, resolved_unsatisfied=1)
    assert mix(database, department="housing") == only(resolved_satisfied=1)
    assert mix(database, department="property-firm") == only(satisfied_unresolved=1)
    assert mix(database, "2026-11", department="urban-management") == only(resolved_unsatisfied=1)
    assert mix(database, "2026-10", department="urban-management") == only()
    assert mix(database, department="fire-safety") == only()  # summoned, never the lead of a verdict
    assert mix(database, within=("Dongcheng",)) == only(resolved_satisfied=1, satisfied_unresolved=1)
    assert mix(database, within=("Dongcheng", "Jingshan")) == mix(database, within=("Dongcheng",))
    assert mix(database, within=("Haidian", "Zhongguancun")) == only(resolved_unsatisfied=1)
    assert mix(database, within=("Haidian", "Jingshan")) == only()  # a street is named within its district
    assert mix(database, department="housing", within=("Haidian",)) == only()


def test_the_departments_and_streets_mixes_add_up_to_the_citys() -> None:
    database = fresh_database()
    project(database, generate(cases=600, seed=8))
    with database.reading() as session:
        conn = session.connection()
        leads = sorted(conn.execute(text("SELECT DISTINCT last_lead_department FROM audit_cases WHERE "
                                         "last_outcome IS NOT NULL AND last_lead_department IS NOT NULL")).scalars())
        places = conn.execute(text("SELECT DISTINCT district, street FROM audit_cases WHERE last_outcome IS NOT NULL "
                                   "AND street IS NOT NULL")).all()
        months = sorted(conn.execute(text("SELECT DISTINCT last_callback_month FROM audit_cases "
                                          "WHERE last_outcome IS NOT NULL")).scalars())
        unled = conn.execute(text("SELECT last_callback_month, last_outcome, count(*) FROM audit_cases "
                                  "WHERE last_outcome IS NOT NULL AND last_lead_department IS NULL "
                                  "GROUP BY last_callback_month, last_outcome")).all()
    assert len(leads) > 1 and len(places) > 1
    for month in (None, *months):
        city = mix(database, month)
        by_department = [mix(database, month, department=d) for d in leads]
        by_street = [mix(database, month, within=tuple(p)) for p in places]
        for outcome, n in city.items():
            assert sum(m[outcome] for m in by_street) == n, (month, outcome)
            without_lead = sum(k for m, o, k in unled if o == outcome and month in (None, m))
            assert sum(m[outcome] for m in by_department) + without_lead == n, (month, outcome)


NEW_INDEXES = ("ix_audit_cases_verdicts_by_lead", "ix_audit_cases_verdicts_by_place")


def test_an_older_read_model_gets_the_lead_of_each_last_verdict_from_its_call_backs() -> None:
    database = fresh_database()
    project(database, generate(cases=300, seed=4))
    query = "SELECT case_id, last_lead_department FROM audit_cases"
    with database.reading() as session:
        fresh = sorted(session.connection().execute(text(query)).all())
    assert sum(lead is not None for _, lead in fresh) > 10
    with database.engine.begin() as conn:  # the read model as the version before wrote it
        for index in NEW_INDEXES:
            conn.execute(text(f"DROP INDEX {index}"))
        conn.execute(text(f"ALTER TABLE audit_cases DROP COLUMN {ADDED}"))

    assert add_verdict_leads(database) is True
    assert add_verdict_leads(database) is False  # once only
    assert sorted(settle_indexes(database)) == sorted(NEW_INDEXES)
    with database.reading() as session:
        assert sorted(session.connection().execute(text(query)).all()) == fresh
