"""A read model written before offers and call-backs carried their case's street gets the column, filled
from the cases, when audit starts on it: the three rates it then answers are those of a fresh one."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import text

from jiesu_audit.queries import rates
from jiesu_audit.readmodel.indexes import settle_indexes
from jiesu_audit.readmodel.projector import Projector
from jiesu_audit.readmodel.states import CaseStates
from jiesu_audit.readmodel.street_keys import add_street_keys
from jiesu_simulator.offline import generate
from tests.domain.audit_readmodel import fresh_database, project

CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
NEW_INDEXES = ("ix_audit_offers_responses", "ix_audit_offers_response_times", "ix_audit_callbacks_verdicts",
               "ix_audit_offers_open_responses")


def test_an_older_read_model_gets_its_streets_from_the_cases() -> None:
    database = fresh_database()
    project(database, generate(cases=300, seed=4))
    with database.reading() as session:
        fresh = rates.three_rates(session.connection(), CONFIG, month="2026-01", as_of=AS_OF)
    with database.engine.begin() as conn:  # the read model as the version before wrote it
        for kept in ("audit_rate_periods", "audit_street_times"):  # not kept then: adopted at start (groups.adopt)
            conn.execute(text(f"DELETE FROM {kept}"))
        for index in NEW_INDEXES:
            conn.execute(text(f"DROP INDEX {index}"))
        for table in ("audit_offers", "audit_callbacks"):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN street_key"))
        conn.execute(text("CREATE INDEX ix_audit_callbacks_month ON audit_callbacks (recorded_month, case_id)"))
        conn.execute(text("DROP INDEX ix_audit_returns_edge_cost"))

    assert add_street_keys(database) == ["audit_offers", "audit_callbacks"]
    assert add_street_keys(database) == []  # once only
    assert sorted(settle_indexes(database)) == sorted([*NEW_INDEXES, "ix_audit_returns_edge_cost"])
    assert settle_indexes(database) == []  # once only
    assert Projector(database, "t", CaseStates(10)).adopt_old_read_model() > 0
    with database.reading() as session:
        conn = session.connection()
        for table in ("audit_offers", "audit_callbacks"):
            differing = conn.execute(text(f"SELECT count(*) FROM {table} t JOIN audit_cases c USING (case_id) "
                                          "WHERE t.street_key IS NOT c.street_key")).scalar()
            assert differing == 0, table
        assert conn.execute(text("SELECT count(*) FROM audit_callbacks WHERE street_key IS NOT NULL")).scalar() > 0
        indexes = {name for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
        assert {*NEW_INDEXES, "ix_audit_returns_edge_cost"} <= indexes and "ix_audit_callbacks_month" not in indexes
        assert rates.three_rates(conn, CONFIG, month="2026-01", as_of=AS_OF) == fresh
