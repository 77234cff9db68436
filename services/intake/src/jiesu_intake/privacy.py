"""Personal data, sealed per citizen (AES-256-GCM) with keys only intake's database holds, themselves
wrapped under intake's master key (`master_key.py`), which the database never holds.

The log carries only `SealedContact`; erasing a citizen deletes their key and identifiers
(crypto-shredding), so every copy of their data on the immutable log becomes unreadable noise while
the events themselves still parse and replay.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Field, Session, SQLModel, col, select

from jiesu_shared.catalogue.common import SealedContact

from jiesu_intake.master_key import WRAPPED, MasterKey

ALGORITHM = "AES-256-GCM"
MASTER_KEY = "jiesu_intake.master_key"  # where sessions find the master key (`Database.session_info`)


class CitizenKey(SQLModel, table=True):
    __tablename__ = "intake_citizen_keys"

    citizen_id: str = Field(primary_key=True, max_length=64)
    key_id: str = Field(max_length=64)
    key: str = Field(max_length=128)  # 32 random bytes, wrapped under the master key (`master_key.py`)
    created_at: datetime


class CitizenIdentifier(SQLModel, table=True):
    """A keyed hash of a phone or ID number, so a returning citizen gets the same pseudonym and key."""

    __tablename__ = "intake_citizen_identifiers"

    digest: str = Field(primary_key=True, max_length=64)
    citizen_id: str = Field(index=True, max_length=64)


class ErasedCitizen(SQLModel, table=True):
    __tablename__ = "intake_erased_citizens"

    citizen_id: str = Field(primary_key=True, max_length=64)
    erased_at: datetime
    erased_by: str = Field(max_length=128)


class PseudonymSecret(SQLModel, table=True):
    """The HMAC key for identifier digests: made once per database, never leaves it."""

    __tablename__ = "intake_pseudonym_secret"

    id: int = Field(default=1, primary_key=True)
    secret: str = Field(max_length=128)  # 32 random bytes, wrapped under the master key


@dataclass(frozen=True)
class Contact:
    """What a citizen tells us about themselves, where exactly they are, and the personal words found in
    their text. Only `phone` and `id_number` identify a citizen (see `_citizen_for`)."""

    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None
    in_text: dict[str, str] = field(default_factory=dict)  # placeholder -> original words
    address: str | None = None  # the exact place: the log keeps only district/street/community/grid
    address_id: str | None = None  # the gazetteer's id of that address, as exact as the words
    latitude: float | None = None
    longitude: float | None = None

    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.id_number or self.email or self.in_text or self.address
                    or self.address_id or self.latitude is not None or self.longitude is not None)


class ContactErased(Exception):
    """The citizen's key was erased: their data can no longer be read."""


def seal(session: Session, contact: Contact) -> SealedContact:
    citizen = _citizen_for(session, contact)
    plaintext = json.dumps(asdict(contact), ensure_ascii=False).encode()
    nonce = os.urandom(12)
    ciphertext = AESGCM(_key_of(session, citizen)).encrypt(nonce, plaintext, _aad(citizen))
    return SealedContact(citizen_id=citizen.citizen_id, key_id=citizen.key_id, algorithm=ALGORITHM,
                         ciphertext=base64.b64encode(nonce + ciphertext).decode())


def unseal(session: Session, sealed: SealedContact) -> Contact:
    citizen = session.get(CitizenKey, sealed.citizen_id)
    if citizen is None or citizen.key_id != sealed.key_id:
        raise ContactErased(sealed.citizen_id)
    raw = base64.b64decode(sealed.ciphertext)
    data = json.loads(AESGCM(_key_of(session, citizen)).decrypt(raw[:12], raw[12:], _aad(citizen)))
    known = {f.name for f in fields(Contact)}  # sealed by an older version: fewer fields
    return Contact(**{k: v for k, v in data.items() if k in known})


def erase(session: Session, citizen_id: str, *, by: str) -> bool:
    """Shred the citizen's key and identifiers; False when there was nothing (left) to erase."""
    key = session.get(CitizenKey, citizen_id)
    if key is None:
        return False
    session.delete(key)
    for identifier in session.exec(select(CitizenIdentifier).where(CitizenIdentifier.citizen_id == citizen_id)):
        session.delete(identifier)
    session.add(ErasedCitizen(citizen_id=citizen_id, erased_at=datetime.now(UTC), erased_by=by))
    return True


def find_citizen(session: Session, *, phone: str | None = None, id_number: str | None = None) -> str | None:
    """The pseudonym of the citizen with this phone or ID number (e.g. to honour their erasure request)."""
    for kind, value in (("phone", phone), ("id", id_number)):
        if value and (known := session.get(CitizenIdentifier, _digest(session, kind, value))) is not None:
            return known.citizen_id
    return None


def _aad(citizen: CitizenKey) -> bytes:
    return f"{citizen.citizen_id}|{citizen.key_id}".encode()


def _master(session: Session) -> MasterKey:
    return session.info[MASTER_KEY]  # set by intake's composition root on its Database


def _key_of(session: Session, citizen: CitizenKey) -> bytes:
    return _master(session).unwrap(citizen.key, _aad(citizen).decode())


PSEUDONYM_LABEL = "intake-pseudonym-secret"


def wrap_unwrapped(session: Session) -> int:
    """Wrap the keys an older version stored unwrapped; how many it wrapped. Run once at start."""
    master, wrapped = _master(session), 0
    for citizen in session.exec(select(CitizenKey).where(~col(CitizenKey.key).startswith(WRAPPED))):
        citizen.key = master.wrap(master.unwrap(citizen.key, _aad(citizen).decode()), _aad(citizen).decode())
        session.add(citizen)
        wrapped += 1
    secret = session.get(PseudonymSecret, 1)
    if secret is not None and not secret.secret.startswith(WRAPPED):
        secret.secret = master.wrap(base64.b64decode(secret.secret), PSEUDONYM_LABEL)
        session.add(secret)
        wrapped += 1
    elif secret is not None:
        master.unwrap(secret.secret, PSEUDONYM_LABEL)  # a master key other than the database's stops the start
    return wrapped


def _citizen_for(session: Session, contact: Contact) -> CitizenKey:
    # Only the details the caller gave as the citizen's own identify them. A number in the text may be
    # anyone's (a neighbour's, a landlord's): it is sealed under this case's citizen, never looked up.
    digests = [_digest(session, kind, value) for kind, value in
               (("phone", contact.phone), ("id", contact.id_number)) if value]
    for digest in digests:
        known = session.get(CitizenIdentifier, digest)
        if known is not None and (citizen := session.get(CitizenKey, known.citizen_id)) is not None:
            break
    else:
        citizen = CitizenKey(citizen_id=f"cz-{uuid.uuid4().hex}", key_id=f"k-{uuid.uuid4().hex[:12]}", key="",
                             created_at=datetime.now(UTC))
        citizen.key = _master(session).wrap(AESGCM.generate_key(bit_length=256), _aad(citizen).decode())
        session.add(citizen)
    for digest in digests:
        if session.get(CitizenIdentifier, digest) is None:
            session.add(CitizenIdentifier(digest=digest, citizen_id=citizen.citizen_id))
    session.flush()
    return citizen


def _digest(session: Session, kind: str, value: str) -> str:
    secret = session.get(PseudonymSecret, 1)
    if secret is None:
        secret = PseudonymSecret(id=1, secret=_master(session).wrap(os.urandom(32), PSEUDONYM_LABEL))
        session.add(secret)
        session.flush()
    normalised = "".join(ch for ch in value if ch.isalnum()).upper().removeprefix("86") if kind == "phone" \
        else value.strip().upper()
    pepper = _master(session).unwrap(secret.secret, PSEUDONYM_LABEL)
    return hmac.new(pepper, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
