"""The gateway's signatures verify with the Standard Webhooks reference library, not our own code."""
from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jiesu_gateway.signing import new_webhook_secret, signature_headers


def test_reference_library_verifies_our_signature_and_rejects_tampering() -> None:
    secret = new_webhook_secret()
    body = '{"type":"task.offered","data":{"task_id":"t1"}}'.encode()
    headers = signature_headers(secret, "evt-1", int(time.time()), body)
    receiver = Webhook(secret)
    assert receiver.verify(body, headers)["data"]["task_id"] == "t1"
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body.replace(b"t1", b"t2"), headers)
    stale = signature_headers(secret, "evt-1", int(time.time()) - 3600, body)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body, stale)
