"""The console's server-side sessions (no browser): the cookie value is never stored, idle and absolute
expiry end a session, closing deletes it."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from jiesu_shared.store import Database

from jiesu_console.sessions import SessionStore, sessions_table


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    store = SessionStore(Database(f"sqlite:///{tmp_path}/console.sqlite3"), idle=timedelta(minutes=30),
                         absolute=timedelta(hours=12))
    store.create_schema()
    return store


def open_one(store: SessionStore) -> str:
    key, _session = store.open(kind="staff", principal_id="op-wang", roles=["intake"], credential="secret-token")
    return key


def age(store: SessionStore, *, seen: timedelta, created: timedelta) -> None:
    now = datetime.now(timezone.utc)
    with store.database.transaction() as db:
        db.connection().execute(update(sessions_table).values(seen_at=now - seen, created_at=now - created))


def test_the_cookie_value_is_not_stored_and_finds_its_session(store: SessionStore) -> None:
    key = open_one(store)
    with store.database.transaction() as db:
        (stored,) = db.connection().execute(select(sessions_table.c.key_hash)).scalars().all()
    assert stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored
    found = store.find(key)
    assert found is not None and found.principal_id == "op-wang" and found.roles == frozenset({"intake"})
    assert store.find(key + "x") is None and store.find(None) is None


@pytest.mark.parametrize(("seen", "created", "alive"), [
    (timedelta(minutes=29), timedelta(hours=11), True),
    (timedelta(minutes=31), timedelta(hours=1), False),  # idle too long
    (timedelta(minutes=1), timedelta(hours=13), False),  # older than the absolute limit, though active
])
def test_idle_and_absolute_expiry(store: SessionStore, seen: timedelta, created: timedelta, alive: bool) -> None:
    key = open_one(store)
    age(store, seen=seen, created=created)
    assert (store.find(key) is not None) is alive
    if not alive:  # an expired session is gone for good
        age(store, seen=timedelta(0), created=timedelta(0))
        assert store.find(key) is None


def test_closing_deletes_the_session(store: SessionStore) -> None:
    key = open_one(store)
    session = store.find(key)
    assert session is not None
    store.close(session.key_hash)
    assert store.find(key) is None
