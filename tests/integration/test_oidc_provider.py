"""The real OIDC provider the access tests sign in through: each staff user of the test realm signs in and
gets a token that verifies (issuer, audience, expiry, RS256 signature through the provider's JWKS) and
carries exactly that user's roles; wrong credentials are refused; the gateway's own account holds only
`disclosure`. This proves the provisioning (deploy/keycloak.sh); the services' sign-in tests build on it."""
from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from tests.support.keycloak import (client_credentials_token, discovery, password_of, password_token,
                                    request_token)

pytestmark = pytest.mark.oidc

AUDIENCE = "jiesu"
STAFF_ROLES = {"intake", "triage", "callback", "contact", "privacy", "coordinator", "admin", "researcher"}
USERS_ROLES = {
    "op-wang": {"intake", "triage", "callback", "contact"},
    "coord-li": {"coordinator"},
    "admin-chen": {"admin"},
    "res-zhao": {"researcher"},
    "priv-sun": {"privacy"},
}


@pytest.fixture(scope="module")
def jwks(oidc_issuer: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(discovery(oidc_issuer)["jwks_uri"])


def verified_claims(token: str, issuer: str, jwks: jwt.PyJWKClient) -> dict[str, Any]:
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def roles_of(claims: dict[str, Any]) -> set[str]:
    return set(claims.get("realm_access", {}).get("roles", []))


@pytest.mark.parametrize("username", sorted(USERS_ROLES))
def test_each_staff_user_signs_in_with_exactly_their_staff_roles(oidc_issuer: str, jwks: jwt.PyJWKClient,
                                                                 username: str) -> None:
    token = password_token(oidc_issuer, username, password_of(username))

    claims = verified_claims(token, oidc_issuer, jwks)
    assert claims["preferred_username"] == username
    assert roles_of(claims) & (STAFF_ROLES | {"disclosure"}) == USERS_ROLES[username]
    assert 0 < claims["exp"] - claims["iat"] <= 300  # short-lived: five minutes at most


def test_a_wrong_password_is_refused(oidc_issuer: str) -> None:
    response = request_token(oidc_issuer, {"grant_type": "password", "client_id": "jiesu-console",
                                           "username": "op-wang", "password": "not-the-password"})

    # RFC 6749 §5.2: a bad resource-owner password is an invalid_grant, answered 400 (Keycloak 26 does)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_a_wrong_client_secret_is_refused(oidc_issuer: str) -> None:
    response = request_token(oidc_issuer, {"grant_type": "client_credentials", "client_id": "jiesu-gateway",
                                           "client_secret": "not-the-secret"})

    # Keycloak names it unauthorized_client where RFC 6749 says invalid_client; the 401 is what counts
    assert response.status_code == 401
    assert "access_token" not in response.json()


def test_the_gateway_account_carries_disclosure_and_no_staff_role(oidc_issuer: str,
                                                                  jwks: jwt.PyJWKClient) -> None:
    claims = verified_claims(client_credentials_token(oidc_issuer), oidc_issuer, jwks)

    assert claims["azp"] == "jiesu-gateway"
    assert "disclosure" in roles_of(claims)
    assert not roles_of(claims) & STAFF_ROLES


def test_a_token_is_refused_for_another_audience_or_with_altered_claims(oidc_issuer: str,
                                                                       jwks: jwt.PyJWKClient) -> None:
    token = password_token(oidc_issuer, "res-zhao", password_of("res-zhao"))
    key = jwks.get_signing_key_from_jwt(token)

    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, key, algorithms=["RS256"], audience="another-service", issuer=oidc_issuer)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["realm_access"] = {"roles": ["admin"]}  # a researcher making herself an administrator
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{header}.{altered}.{signature}", key, algorithms=["RS256"], audience=AUDIENCE,
                   issuer=oidc_issuer)
