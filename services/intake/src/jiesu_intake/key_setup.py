"""Intake's keys at start: the master key handed to every session, and what an older version stored
unwrapped wrapped under it (a column widened first on PostgreSQL, where VARCHAR lengths are enforced)."""
from __future__ import annotations

import logging

from sqlalchemy import text

from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.config import IntakeSettings
from jiesu_intake.master_key import load_master_key

log = logging.getLogger(__name__)
WIDENED = (("intake_citizen_keys", "key"), ("intake_pseudonym_secret", "secret"))


def set_up_keys(database: Database, settings: IntakeSettings) -> None:
    database.session_info[privacy.MASTER_KEY] = load_master_key(
        key_file=settings.master_key_file, key_command=settings.master_key_command,
        database_url=settings.database_url)
    database.create_schema()
    with database.transaction() as session:
        if database.engine.dialect.name == "postgresql":
            for table, column in WIDENED:
                session.execute(text(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE VARCHAR(128)'))
        if wrapped := privacy.wrap_unwrapped(session):
            log.warning("wrapped %d keys stored unwrapped by an earlier version under the master key", wrapped)
