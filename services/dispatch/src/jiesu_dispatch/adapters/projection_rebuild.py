"""A projection dispatch keeps beside its ledger (the board, the meetings list) is rebuilt from the ledger once per
version of what it projects: when its tables are new, or were filled by an older version of it."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from jiesu_shared.store import Database


def rebuild_once(database: Database, version_row: type[SQLModel], version: int, tables: Sequence[type[SQLModel]],
                 fill: Callable[[Session], int]) -> int | None:
    """Empty `tables` and `fill` them (it says how many it projected) unless this version already did; None then.
    Of instances starting together one builds: the others' insert of the version row conflicts, and they find it
    built."""
    try:
        with database.transaction() as session:
            if session.get(version_row, version) is not None:
                return None
            for table in (*tables, version_row):
                session.execute(delete(table))
            projected = fill(session)
            session.add(version_row(version=version))
            return projected
    except IntegrityError:
        return None  # another instance built it first, in its own transaction
