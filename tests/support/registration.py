"""Register a department at the gateway with a real webhook receiver as its endpoint, as an administrator."""
from __future__ import annotations

import httpx

from tests.support.receiver import WebhookReceiver


def register_department(gateway_url: str, admin_token: str, receiver: WebhookReceiver, hooks_url: str,
                        department_id: str) -> str:
    """Register it, teach the receiver its signing secret, and return its API key."""
    response = httpx.post(f"{gateway_url}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                          json={"department_id": department_id, "name": department_id.title(),
                                "webhook_url": f"{hooks_url}/{department_id}"})
    assert response.status_code == 201, response.text
    receiver.secrets[department_id] = response.json()["webhook_secret"]
    return response.json()["api_key"]
