"""Sign-in with the city's OpenID Connect provider: the authorization code flow with PKCE (S256) for the
public client `jiesu-console`. Authlib makes the verifier, challenge and state; the two HTTP calls (discovery,
token endpoint) are httpx's. The console never inspects the tokens itself: the access token goes to
`GET /whoami`, where the services verify it exactly as for any other call."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge


class SignInFailed(Exception):
    pass


@dataclass
class PendingSignIn:
    state: str
    code_verifier: str
    next_url: str
    started: float = field(default_factory=time.monotonic)


@dataclass
class OidcSignIn:
    issuer: str
    client_id: str
    client_secret: str | None
    http: httpx.AsyncClient
    _metadata: dict[str, Any] | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            try:
                answer = await self.http.get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
                answer.raise_for_status()
            except httpx.HTTPError as exc:
                raise SignInFailed(f"the identity provider's discovery document: {exc}") from exc
            self._metadata = answer.json()
        return self._metadata

    async def authorization_url(self, redirect_uri: str, next_url: str) -> tuple[str, PendingSignIn]:
        pending = PendingSignIn(state=generate_token(32), code_verifier=generate_token(64), next_url=next_url)
        url = add_params_to_uri((await self.metadata())["authorization_endpoint"], [
            ("response_type", "code"), ("client_id", self.client_id), ("redirect_uri", redirect_uri),
            ("scope", "openid"), ("state", pending.state),
            ("code_challenge", create_s256_code_challenge(pending.code_verifier)), ("code_challenge_method", "S256")])
        return url, pending

    async def exchange(self, code: str, redirect_uri: str, pending: PendingSignIn) -> dict[str, Any]:
        return await self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                  "code_verifier": pending.code_verifier})

    async def refresh(self, refresh_token: str | None) -> dict[str, Any]:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token or ""})

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.client_id}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        try:
            answer = await self.http.post((await self.metadata())["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"the token endpoint: {exc}") from exc
        if answer.status_code != 200:
            raise SignInFailed(f"the token endpoint answered {answer.status_code}")
        token = answer.json()
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=int(token.get("expires_in", 300)))
        return {"credential": token["access_token"], "refresh_token": token.get("refresh_token"),
                "expires_at": expires_at}
