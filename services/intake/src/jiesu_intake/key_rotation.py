"""Rotating intake's master key: every wrapped key (each citizen's, and the pseudonym secret) unwrapped with
the old master key and wrapped again under the new one. The sealed data is not touched: it is sealed under
the citizens' own keys, which do not change; only their wrapping does.

Every wrapped value names the master key that wrapped it (`mk1.<key id>.…`), so the work left is always
"the rows not yet under the new key", done in batches of one transaction each. A rotation stopped half-way
(a crash, a lost connection) leaves each row under one of the two keys, and the same command run again
finishes it. Run it while intake is stopped: an instance still on the old key would wrap new citizens' keys
under it and could not read the rows already re-wrapped. Intake refuses to start while any row is under a
master key other than its own (`key_setup.py`), so a half-done rotation cannot go unnoticed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.master_key import WRAPPED, MasterKey, MasterKeyError


@dataclass(frozen=True)
class Rotation:
    rewrapped: int  # rows this run wrapped under the new key
    remaining: int  # rows still under another key: 0 once the rotation is done


def rotate_master_key(database: Database, old: MasterKey, new: MasterKey, *, batch_size: int = 500,
                      limit: int | None = None) -> Rotation:
    """Re-wrap, `batch_size` rows a transaction; `limit` stops after that many rows (a rotation in slices)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if old.key_id == new.key_id:
        raise MasterKeyError(f"the new master key is the old one ({old.key_id})")
    with database.reading() as session:
        _refuse_other_keys(session, old, new)
    rewrapped = 0
    with database.transaction() as session:
        rewrapped += _rewrap_pseudonym_secret(session, old, new)
    while limit is None or rewrapped < limit:
        size = batch_size if limit is None else min(batch_size, limit - rewrapped)
        with database.transaction() as session:
            done = _rewrap_batch(session, old, new, size)
        rewrapped += done
        if done < size:
            break
    with database.reading() as session:
        return Rotation(rewrapped=rewrapped, remaining=sum(wrapped_by_other_keys(session, new.key_id).values()))


def wrapped_by_other_keys(session: Session, key_id: str) -> dict[str, int]:
    """{master key id: rows wrapped by it} for the rows not under `key_id`; "unwrapped" for an older
    version's rows stored without wrapping."""
    counts: dict[str, int] = {}
    for table, column in ((privacy.CitizenKey, privacy.CitizenKey.key),
                          (privacy.PseudonymSecret, privacy.PseudonymSecret.secret)):
        found = func.substr(column, len(WRAPPED) + 1, len(key_id))
        wrapped = col(column).startswith(WRAPPED)
        named = session.exec(select(found, func.count()).select_from(table)
                             .where(wrapped, ~col(column).startswith(f"{WRAPPED}{key_id}."))
                             .group_by(found)).all()
        for other, count in named:
            counts[other] = counts.get(other, 0) + count
        unwrapped = session.exec(select(func.count()).select_from(table).where(~wrapped)).one()
        if unwrapped:
            counts["unwrapped"] = counts.get("unwrapped", 0) + unwrapped
    return counts


def _refuse_other_keys(session: Session, old: MasterKey, new: MasterKey) -> None:
    """A wrong old key is refused before any row changes, naming key ids only (never a key)."""
    others = set(wrapped_by_other_keys(session, new.key_id)) - {old.key_id, "unwrapped"}
    if others:
        raise MasterKeyError(f"keys are wrapped by master key {_names(others)}, but the old key given is "
                             f"{old.key_id} (the new one is {new.key_id}): give the key they were wrapped by")


def _rewrap_pseudonym_secret(session: Session, old: MasterKey, new: MasterKey) -> int:
    secret = session.get(privacy.PseudonymSecret, 1, with_for_update=True)
    if secret is None or secret.secret.startswith(f"{WRAPPED}{new.key_id}."):
        return 0
    label = privacy.PSEUDONYM_LABEL
    secret.secret = new.wrap(old.unwrap(secret.secret, label), label)
    session.add(secret)
    return 1


def _rewrap_batch(session: Session, old: MasterKey, new: MasterKey, size: int) -> int:
    citizens = session.exec(select(privacy.CitizenKey)
                            .where(~col(privacy.CitizenKey.key).startswith(f"{WRAPPED}{new.key_id}."))
                            .order_by(col(privacy.CitizenKey.citizen_id)).limit(size).with_for_update()).all()
    for citizen in citizens:
        label = privacy._aad(citizen).decode()  # the wrapping stays bound to its row, as privacy.py binds it
        citizen.key = new.wrap(old.unwrap(citizen.key, label), label)
        session.add(citizen)
    return len(citizens)


def _names(key_ids: Iterable[str]) -> str:
    return ", ".join(sorted(key_ids))
