"""Intake's keys at start: the master key handed to every session, and what an older version stored
unwrapped wrapped under it (a column widened first on PostgreSQL, where VARCHAR lengths are enforced).
A database whose keys are wrapped by another master key (the wrong key, or a rotation not finished) is
refused before anything is served."""
from __future__ import annotations

import logging

from sqlalchemy import text
from sqlmodel import Session

from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.config import IntakeSettings
from jiesu_intake.key_rotation import wrapped_by_other_keys
from jiesu_intake.master_key import MasterKey, MasterKeyError, load_master_key

log = logging.getLogger(__name__)
WIDENED = (("intake_citizen_keys", "key"), ("intake_pseudonym_secret", "secret"))


def set_up_keys(database: Database, settings: IntakeSettings) -> None:
    master = database.session_info[privacy.MASTER_KEY] = load_master_key(
        key_file=settings.master_key_file, key_command=settings.master_key_command,
        database_url=settings.database_url)
    database.create_schema()
    with database.transaction() as session:
        if database.engine.dialect.name == "postgresql":
            for table, column in WIDENED:
                session.execute(text(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE VARCHAR(128)'))
        _refuse_other_master_keys(session, master)
        if wrapped := privacy.wrap_unwrapped(session):
            log.warning("wrapped %d keys stored unwrapped by an earlier version under the master key", wrapped)


def _refuse_other_master_keys(session: Session, master: MasterKey) -> None:
    others = {k: n for k, n in wrapped_by_other_keys(session, master.key_id).items() if k != "unwrapped"}
    if others:
        counts = ", ".join(f"{n} by {k}" for k, n in sorted(others.items()))
        raise MasterKeyError(f"keys are wrapped by master key {', '.join(sorted(others))}, but this intake has "
                             f"{master.key_id} ({counts}): start it with the key they were wrapped by, or finish "
                             "rotating to this one (python -m jiesu_intake rotate-master-key)")
