"""Audit starts on a read model written before its last schema steps (offers' and call-backs' streets, the times
of returns, the lead of each last verdict), all at once as an upgrade meets them: its start adds each column
before any index on it, and then answers as a fresh read model does."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from sqlalchemy import text

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings
from jiesu_audit.queries import handovers, rates
from jiesu_simulator.offline import generate
from tests.domain.audit_readmodel import fresh_database, project

pytestmark = pytest.mark.usefixtures("read_models")  # on SQLite and on PostgreSQL

CONFIG = json.loads(resources.files("jiesu_audit").joinpath("three_rates.json").read_text())
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
# what each step added, as the version before it wrote the read model: (table, column, indexes on it)
STEPS = [("audit_offers", "street_key", ("ix_audit_offers_responses", "ix_audit_offers_response_times",
                                        "ix_audit_offers_open_responses")),
         ("audit_callbacks", "street_key", ("ix_audit_callbacks_verdicts",)),
         ("audit_returns", "returned_us", ("ix_audit_returns_month_edges", "ix_audit_returns_week_edges",
                                           "ix_audit_returns_day_edges")),
         ("audit_returns", "returned_month", ()), ("audit_returns", "returned_week", ()),
         ("audit_returns", "returned_day", ()),
         ("audit_cases", "last_lead_department", ("ix_audit_cases_verdicts_by_lead", "ix_audit_cases_verdicts_by_place"))]


def answers(database):  # type: ignore[no-untyped-def]
    with database.reading() as session:
        conn = session.connection()
        return (rates.three_rates(conn, CONFIG, month="2026-01", as_of=AS_OF),
                handovers.edges(conn, period="month", first="2026-01", last="2026-01"))


def test_audit_starts_on_a_read_model_from_before_its_last_schema_steps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = fresh_database()
    project(database, generate(cases=300, seed=4))
    fresh = answers(database)
    with database.engine.begin() as conn:  # the read model as the version before these steps wrote it
        for _, _, indexes in STEPS:
            for index in indexes:
                conn.execute(text(f"DROP INDEX {index}"))
        for table, column, _ in STEPS:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))

    build_app(AuditSettings(database_url=database.url, bus="embedded", timezone="UTC",  # as the facts were counted
                            embedded_log_path=str(tmp_path / "log.sqlite3")))  # its start: every step, in order

    assert answers(database) == fresh
