"""Envelope encryption of intake's own secrets: each citizen's key and the pseudonym secret rest in the
database wrapped (AES-256-GCM) under a master key that is never stored there. A stolen database or backup
alone then reads no citizen's data; erasing a citizen still shreds their (wrapped) key.

The master key comes from a file (`JIESU_MASTER_KEY_FILE`, 32 random bytes, base64) or from a command
that prints it (`JIESU_MASTER_KEY_COMMAND`, as PostgreSQL's `ssl_passphrase_command`): the way to fetch it
from a key-management service or a secrets store without an SDK here — e.g. `vault kv get -field=key …`
or `aws kms decrypt … --query Plaintext --output text`. Without either, intake makes a key file of its own
beside its SQLite database (one machine, the demo) and refuses to start on PostgreSQL.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

WRAPPED = "mk1."  # what a wrapped value starts with; anything else is an unwrapped value of an older version


class MasterKeyError(RuntimeError):
    """The master key is missing, malformed, or not the one the database's keys were wrapped with."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, so a value says which master key wrapped it."""
        return hashlib.sha256(b"jiesu-master-key-id" + self.key).hexdigest()[:8]

    def wrap(self, secret: bytes, label: str) -> str:
        """`label` binds the wrapped value to its row: a value copied to another row does not unwrap."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, secret, label.encode())
        return f"{WRAPPED}{self.key_id}.{base64.b64encode(nonce + sealed).decode()}"

    def unwrap(self, stored: str, label: str) -> bytes:
        if not stored.startswith(WRAPPED):
            return base64.b64decode(stored)  # stored before keys were wrapped; `wrap_unwrapped` rewrites them
        key_id, _, body = stored[len(WRAPPED):].partition(".")
        if key_id != self.key_id:
            raise MasterKeyError(f"a key was wrapped by master key {key_id}, but this intake has {self.key_id}")
        raw = base64.b64decode(body)
        try:
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], label.encode())
        except InvalidTag as exc:
            raise MasterKeyError(f"a wrapped key does not belong to its row ({label})") from exc


def load_master_key(*, key_file: str | None, key_command: str | None, database_url: str) -> MasterKey:
    if key_command:
        return _parse(_run(key_command), "JIESU_MASTER_KEY_COMMAND's output")
    if key_file:
        return _parse(_read(Path(key_file)), key_file)
    if not database_url.startswith("sqlite:///"):
        raise MasterKeyError("set JIESU_MASTER_KEY_FILE or JIESU_MASTER_KEY_COMMAND: on a shared database "
                             "intake does not make a master key of its own")
    return _own_key_file(Path(database_url.removeprefix("sqlite:///")).with_suffix(".master-key"))


def _own_key_file(path: Path) -> MasterKey:
    """One machine: a key file beside the database, readable by this user only, made once."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
    return _parse(_read(path), str(path))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise MasterKeyError(f"cannot read the master key file {path}: {exc.strerror}") from exc


def _run(command: str) -> str:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MasterKeyError(f"JIESU_MASTER_KEY_COMMAND could not run: {exc}") from exc
    if done.returncode != 0:
        raise MasterKeyError(f"JIESU_MASTER_KEY_COMMAND exited with {done.returncode}")  # its stderr may hold secrets
    return done.stdout


def _parse(text: str, where: str) -> MasterKey:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise MasterKeyError(f"{where} does not hold a base64 master key") from exc
    if len(key) != 32:
        raise MasterKeyError(f"{where} holds {len(key)} bytes; a master key is 32 random bytes (base64)")
    return MasterKey(key)
