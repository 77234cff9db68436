"""Staff tokens from the city's OpenID Connect provider, verified with PyJWT: the signature through the
provider's JWKS (discovered from the issuer, keys cached), issuer, audience, expiry; roles from a claim."""
from __future__ import annotations

import threading
from typing import Any

import httpx
import jwt

from jiesu_shared.access.principal import Principal
from jiesu_shared.access.roles import STAFF_ROLES


class ProviderUnreachable(Exception):
    """The identity provider's discovery document or keys could not be fetched."""


class OidcVerifier:
    def __init__(self, *, issuer: str, audience: str, jwks_url: str | None, roles_claim: str, id_claim: str,
                 algorithms: list[str]) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.roles_claim = roles_claim.split(".")
        self.id_claim = id_claim
        self.algorithms = algorithms
        self._jwks_url = jwks_url
        self._keys: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal | None:
        """The principal the token names, or None when it is not a valid token of this provider."""
        try:
            key = self._key_set().get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=self.algorithms, audience=self.audience,
                                issuer=self.issuer, leeway=30, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWKClientConnectionError as exc:
            raise ProviderUnreachable(str(exc)) from exc
        except jwt.PyJWTError:
            return None
        subject = claims.get(self.id_claim) or claims["sub"]
        return Principal(id=str(subject), roles=frozenset(self._roles(claims)), via="oidc")

    def _roles(self, claims: dict[str, Any]) -> list[str]:
        value: Any = claims
        for part in self.roles_claim:
            value = value.get(part) if isinstance(value, dict) else None
        return [r for r in value if r in STAFF_ROLES] if isinstance(value, list) else []

    def _key_set(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._keys is None:
                self._keys = jwt.PyJWKClient(self._jwks_url or self._discover_jwks_url(), cache_keys=True,
                                             lifespan=300, timeout=5)
            return self._keys

    def _discover_jwks_url(self) -> str:
        try:
            document = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5)
            document.raise_for_status()
            return str(document.json()["jwks_uri"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ProviderUnreachable(f"cannot read {self.issuer}'s discovery document") from exc
