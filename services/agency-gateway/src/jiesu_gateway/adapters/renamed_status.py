"""Task rows written before 退单 had one name in the code hold the status `rejected`; it is `returned` now.

Run at start, before the consumers: a row left `rejected` would count as a live party to its case (and be
sent its updates) and could be cancelled after the fact. Idempotent, so every instance may run it."""
from __future__ import annotations

from sqlalchemy import inspect, update
from sqlmodel import col

from jiesu_shared.store import Database

from jiesu_gateway.adapters.tables import Task

OLD, NEW = "rejected", "returned"


def rename_rejected_tasks(database: Database) -> int:
    """How many rows were renamed (0 on a new database, whose tables do not exist yet)."""
    if not inspect(database.engine).has_table(Task.__tablename__):
        return 0
    with database.transaction() as session:
        result = session.execute(update(Task).where(col(Task.status) == OLD).values(status=NEW))
        return result.rowcount or 0
