"""Standard Webhooks signatures: v1 = base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_headers(secret: str | list[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Headers for one message; several secrets (during a rotation's grace period) give several
    space-separated signatures, of which the receiver needs any one to verify."""
    secrets_ = [secret] if isinstance(secret, str) else secret
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(sign(s, webhook_id, timestamp, body) for s in secrets_)}
