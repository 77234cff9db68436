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


def test_during_a_rotation_both_signatures_travel_and_either_secret_verifies() -> None:
    old, new = new_webhook_secret(), new_webhook_secret()
    body = b'{"type":"task.reminder","data":{}}'
    headers = signature_headers([new, old], "evt-2", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers)  # a department that has not switched yet
    assert Webhook(new).verify(body, headers)  # one that has
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)
