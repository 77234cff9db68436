"""Department API keys: shown once, stored only as a SHA-256 hash (they are 256-bit random, so no
slow hash is needed against guessing)."""
from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "jsk_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()
