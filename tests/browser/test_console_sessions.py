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


def raw_bytes(tmp_path: Path) -> bytes:
    """Every byte of the console's database files (the main file and any journal or write-ahead log)."""
    return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("console.sqlite3*")))


def test_the_credential_is_sealed_at_rest(store: SessionStore, tmp_path: Path) -> None:
    token, refresh = "staff-token-" + "q7" * 20, "refresh-token-" + "z9" * 20
    key, session = store.open(kind="staff", principal_id="op-wang", roles=["intake"], credential=token,
                              refresh_token=refresh)
    found = store.find(key)
    assert found is not None and found.credential == token and found.refresh_token == refresh
    renewed = "renewed-token-" + "k3" * 20
    store.renew_credential(found, credential=renewed, refresh_token=refresh, expires_at=None)
    again = store.find(key)
    assert again is not None and again.credential == renewed
    store.database.engine.dispose()  # everything written out to the files
    stored = raw_bytes(tmp_path)
    for secret in (token, refresh, renewed, key):
        assert secret.encode() not in stored, secret
    with store.database.transaction() as db:  # the row's columns hold no plain text either
        row = db.connection().execute(select(sessions_table)).mappings().one()
    assert token not in row["credential"] and renewed not in row["credential"] and refresh not in row["refresh_token"]


def test_a_sealed_row_moved_under_another_cookie_does_not_open(store: SessionStore) -> None:
    first, second = open_one(store), open_one(store)
    with store.database.transaction() as db:
        rows = db.connection().execute(select(sessions_table.c.key_hash, sessions_table.c.credential)).all()
        by_hash = dict(rows)
        one, two = (hashlib.sha256(k.encode()).hexdigest() for k in (first, second))
        db.connection().execute(update(sessions_table).where(sessions_table.c.key_hash == two)
                                .values(credential=by_hash[one]))
    assert store.find(first) is not None
    assert store.find(second) is None  # the other session's sealed credential does not open: sign in again
