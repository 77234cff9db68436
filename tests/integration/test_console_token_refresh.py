"""The console renews a staff member's access token with the refresh token, against the real provider
(Keycloak's test realm: access tokens live 5 minutes). Not a browser test: it needs no page, and async tests
cannot share the browser package's event loop."""
from __future__ import annotations

import httpx
import pytest

from jiesu_console.oidc import OidcSignIn
from tests.support.keycloak import password_of, request_token

pytestmark = [pytest.mark.oidc]


async def test_an_expiring_access_token_is_renewed_with_the_refresh_token(oidc_issuer: str) -> None:
    """What `Console.refresh_if_due` relies on."""
    first = request_token(oidc_issuer, {"grant_type": "password", "client_id": "jiesu-console", "scope": "openid",
                                        "username": "coord-li", "password": password_of("coord-li")}).json()
    async with httpx.AsyncClient(timeout=10) as http:
        renewed = await OidcSignIn(issuer=oidc_issuer, client_id="jiesu-console", client_secret=None,
                                   http=http).refresh(first["refresh_token"])
    assert renewed["credential"] != first["access_token"] and renewed["refresh_token"]
    assert renewed["expires_at"] is not None
