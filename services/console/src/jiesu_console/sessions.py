"""Server-side sessions in the console's own database. The browser holds only an opaque random id; the
database holds its SHA-256, so a copy of the table cannot be replayed as cookies. The person's credential
(staff token or department API key) is sent only to the four services, and is stored sealed (AES-GCM) under a
key derived (HKDF) from the cookie value, which only the browser holds: a copy of the database alone
discloses no credential."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, insert, select, update

from jiesu_shared.store import Database

metadata = MetaData()
sessions_table = Table(
    "console_sessions", metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("csrf", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # "staff" or "department"
    Column("principal_id", String(128), nullable=False),
    Column("roles", Text, nullable=False),  # JSON list
    Column("credential", Text, nullable=False),  # sealed: see `seal`
    Column("refresh_token", Text, nullable=True),  # OIDC sign-ins only; sealed
    Column("credential_expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
DEPARTMENT = "department"  # the role a department signed in with its API key holds in the console


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sealing_key(cookie_value: str) -> bytes:
    """The AES key for one session's secrets, derived from the cookie value the database never sees."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"jiesu-console session credential").derive(cookie_value.encode())


def seal(key: bytes, key_hash: str, secret: str | None) -> str | None:
    """AES-GCM with a fresh nonce, bound to the session's row (its key hash) so it cannot be moved to another."""
    if secret is None:
        return None
    nonce = secrets.token_bytes(12)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, secret.encode(), key_hash.encode())).decode()


def unseal(key: bytes, key_hash: str, sealed: str | None) -> str | None:
    if sealed is None:
        return None
    raw = base64.urlsafe_b64decode(sealed.encode())
    return AESGCM(key).decrypt(raw[:12], raw[12:], key_hash.encode()).decode()


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite drops tz


@dataclass
class ConsoleSession:
    key_hash: str
    csrf: str
    kind: str
    principal_id: str
    roles: frozenset[str]
    credential: str
    refresh_token: str | None = None
    credential_expires_at: datetime | None = None
    created_at: datetime = field(default_factory=_now)
    seen_at: datetime = field(default_factory=_now)
    sealing_key: bytes = field(default=b"", repr=False)  # in memory only, for re-sealing a renewed credential

    def holds_any(self, roles: tuple[str, ...] | list[str] | frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class SessionStore:
    def __init__(self, database: Database, *, idle: timedelta, absolute: timedelta) -> None:
        self.database, self.idle, self.absolute = database, idle, absolute

    def create_schema(self) -> None:
        self.database.create_schema(metadata)  # under the same lock as the services' (replicas start together)

    def open(self, *, kind: str, principal_id: str, roles: list[str], credential: str,
             refresh_token: str | None = None, expires_at: datetime | None = None) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie value (shown once) and the session."""
        key = secrets.token_urlsafe(32)
        session = ConsoleSession(key_hash=_hash(key), csrf=secrets.token_urlsafe(32), kind=kind,
                                 principal_id=principal_id, roles=frozenset(roles), credential=credential,
                                 refresh_token=refresh_token, credential_expires_at=expires_at,
                                 sealing_key=sealing_key(key))
        row = {**session.__dict__, "roles": json.dumps(sorted(roles)),
               "credential": seal(session.sealing_key, session.key_hash, credential),
               "refresh_token": seal(session.sealing_key, session.key_hash, refresh_token)}
        del row["sealing_key"]
        with self.database.transaction() as db:
            db.connection().execute(insert(sessions_table), row)
        return key, session

    def find(self, key: str | None) -> ConsoleSession | None:
        """The live session for a cookie value, its idle clock restarted; None if unknown or expired."""
        if not key:
            return None
        now = _now()
        with self.database.transaction() as db:
            row = db.connection().execute(select(sessions_table).where(
                sessions_table.c.key_hash == _hash(key))).mappings().first()
            if row is None:
                return None
            created, seen = _aware(row["created_at"]), _aware(row["seen_at"])
            secrets_of = _unsealed(key, row)
            if now - seen > self.idle or now - created > self.absolute or secrets_of is None:
                db.connection().execute(delete(sessions_table).where(sessions_table.c.key_hash == row["key_hash"]))
                return None
            db.connection().execute(update(sessions_table).where(sessions_table.c.key_hash == row["key_hash"])
                                    .values(seen_at=now))
        return ConsoleSession(**{**row, **secrets_of, "roles": frozenset(json.loads(row["roles"])),
                                 "created_at": created, "seen_at": now,
                                 "credential_expires_at": _aware(row["credential_expires_at"])})

    def renew_credential(self, session: ConsoleSession, *, credential: str, refresh_token: str | None,
                         expires_at: datetime | None) -> None:
        with self.database.transaction() as db:
            db.connection().execute(update(sessions_table).where(sessions_table.c.key_hash == session.key_hash)
                                    .values(credential=seal(session.sealing_key, session.key_hash, credential),
                                            refresh_token=seal(session.sealing_key, session.key_hash, refresh_token),
                                            credential_expires_at=expires_at))
        session.credential, session.refresh_token, session.credential_expires_at = credential, refresh_token, expires_at

    def close(self, key_hash: str) -> None:
        with self.database.transaction() as db:
            db.connection().execute(delete(sessions_table).where(sessions_table.c.key_hash == key_hash))

    def purge_expired(self) -> int:
        now = _now()
        with self.database.transaction() as db:
            result = db.connection().execute(delete(sessions_table).where(
                (sessions_table.c.seen_at < now - self.idle) | (sessions_table.c.created_at < now - self.absolute)))
        return result.rowcount or 0


def _unsealed(cookie_value: str, row: Any) -> dict[str, Any] | None:
    """The row's credential and refresh token opened with the cookie's key; None if they do not open
    (a row sealed before this scheme, or tampered with): the person signs in again."""
    key = sealing_key(cookie_value)
    try:
        return {"credential": unseal(key, row["key_hash"], row["credential"]),
                "refresh_token": unseal(key, row["key_hash"], row["refresh_token"]), "sealing_key": key}
    except (InvalidTag, ValueError):
        return None
