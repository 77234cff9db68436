"""Find or start the real OpenID Connect provider the tests sign in through, and get tokens from it.

A provider named by JIESU_TEST_OIDC_ISSUER (the issuer URL of a realm set up like
deploy/lib/keycloak-realm-jiesu.json) wins; otherwise deploy/keycloak.sh starts Keycloak with that realm.
"""
from __future__ import annotations

import os
from typing import Any

import httpx

from tests.support.servers import _run_deploy

CONSOLE_CLIENT = "jiesu-console"
GATEWAY_CLIENT = "jiesu-gateway"
GATEWAY_TEST_SECRET = "jiesu-gateway-test-secret"  # public on purpose: the realm is for tests only


def oidc_issuer() -> tuple[str, bool]:
    """(issuer URL, whether this call started the provider)."""
    if os.environ.get("JIESU_TEST_OIDC_ISSUER"):
        return os.environ["JIESU_TEST_OIDC_ISSUER"].rstrip("/"), False
    return _run_deploy("keycloak.sh", "start"), True


def stop_keycloak() -> None:
    _run_deploy("keycloak.sh", "stop")


def password_of(username: str) -> str:
    """The password every user of the test realm has (see deploy/lib/keycloak-realm-jiesu.md)."""
    return f"{username}-test-password"


def discovery(issuer: str) -> dict[str, Any]:
    """The provider's OpenID Connect discovery document for this issuer."""
    response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return response.json()


def request_token(issuer: str, form: dict[str, str]) -> httpx.Response:
    """POST a token request to the discovered token endpoint; the answer as it came."""
    return httpx.post(discovery(issuer)["token_endpoint"], data=form, timeout=10)


def _access_token(issuer: str, form: dict[str, str]) -> str:
    response = request_token(issuer, form)
    if response.status_code != 200:
        raise RuntimeError(f"{form['grant_type']} token request failed: {response.status_code} {response.text}")
    return response.json()["access_token"]


def password_token(issuer: str, username: str, password: str, client_id: str = CONSOLE_CLIENT) -> str:
    """An access token for a staff user, signed in with the password grant (test realm only)."""
    return _access_token(issuer, {"grant_type": "password", "client_id": client_id,
                                  "username": username, "password": password, "scope": "openid"})


def client_credentials_token(issuer: str, client_id: str = GATEWAY_CLIENT,
                             client_secret: str = GATEWAY_TEST_SECRET) -> str:
    """An access token for a service's own account (client credentials grant)."""
    return _access_token(issuer, {"grant_type": "client_credentials", "client_id": client_id,
                                  "client_secret": client_secret})
