"""FastAPI's side of the access model: `allow(roles…)` is the one way a route says who may use it.

It declares the `StaffToken` bearer scheme with the allowed roles on the operation (OpenAPI 3.1 lets a
non-OAuth scheme list role names), answers 401 without a valid credential and 403 without a role.
"""
from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool

from jiesu_shared.access.oidc import OidcVerifier, ProviderUnreachable
from jiesu_shared.access.principal import Principal
from jiesu_shared.access.roles import ADMIN
from jiesu_shared.http.problems import Problem

PUBLIC: tuple[str, ...] = ()  # documents a route that deliberately needs no principal (health, Open311 reads)

_staff_bearer = HTTPBearer(
    auto_error=False, scheme_name="StaffToken", bearerFormat="JWT",
    description="A staff member's token: a JWT from the city's OpenID Connect provider (JIESU_OIDC_ISSUER) or, "
                "on one machine, a token from JIESU_STAFF. The operation lists the roles that may use it; any "
                "one of them suffices.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Authenticator:
    """Turns a bearer token into a principal: static staff tokens, the admin token, or an OIDC JWT."""

    def __init__(self, *, staff: list[Any], admin_token: str | None, oidc: OidcVerifier | None) -> None:
        self._static = [(s.token.get_secret_value().encode(), s.principal()) for s in staff]
        if admin_token:
            self._static.append((admin_token.encode(), Principal(id="admin", roles=frozenset({ADMIN}),
                                                                 via="admin-token")))
        self._oidc = oidc

    @classmethod
    def from_settings(cls, settings: Any) -> Authenticator:
        oidc = None if not settings.oidc_issuer else OidcVerifier(
            issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks_url=settings.oidc_jwks_url,
            roles_claim=settings.oidc_roles_claim, id_claim=settings.oidc_id_claim,
            algorithms=settings.oidc_algorithms)
        admin = settings.admin_token.get_secret_value() if settings.admin_token else None
        return cls(staff=settings.staff, admin_token=admin, oidc=oidc)

    def known(self, token: str) -> Principal | None:
        """A static staff token or the admin token: no I/O."""
        found, given = None, token.encode()
        for expected, principal in self._static:  # compare with every entry: no early exit to time
            if hmac.compare_digest(expected, given):
                found = principal
        return found

    def may_verify(self, token: str) -> bool:
        """Whether `authenticate` would ask the OIDC provider's keys (which may fetch them) about the token."""
        return self._oidc is not None and token.count(".") == 2

    def authenticate(self, token: str) -> Principal | None:
        found = self.known(token)
        if found is None and self.may_verify(token):
            assert self._oidc is not None
            try:
                found = self._oidc.verify(token)
            except ProviderUnreachable:
                raise Problem(503, "identity-provider-unreachable", "Cannot verify the token now",
                              "the identity provider's keys could not be fetched; retry shortly",
                              headers={"Retry-After": "5"}) from None
        return found


class _Guard(HTTPBearer):
    """The bearer scheme and the check in one dependency: a route's one security dependant, where a guard
    depending on the scheme cost every request a second pass of FastAPI's dependency solver."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__(auto_error=False, scheme_name=_staff_bearer.scheme_name, bearerFormat="JWT",
                         description=_staff_bearer.model.description)
        self.roles = roles

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        # A coroutine: a plain function cost every request a thread hop (~6 % of intake's CPU per case); only a
        # JWT is verified in a thread, since that may fetch the provider's keys.
        # What HTTPBearer.__call__ reads, without building its credentials model on every request
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "unauthorized", "Missing credentials", "send 'Authorization: Bearer <token>'",
                          headers=_CHALLENGE)
        authenticator: Authenticator = request.app.state.kernel.authenticator
        principal = authenticator.known(token)
        if principal is None and authenticator.may_verify(token):
            principal = await run_in_threadpool(authenticator.authenticate, token)
        if principal is None:
            raise Problem(401, "unauthorized", "Invalid credentials", "the token is unknown, expired or not for us",
                          headers=_CHALLENGE)
        if not principal.holds_any(self.roles):
            raise Problem(403, "forbidden", "Not allowed", f"this needs one of the roles {', '.join(self.roles)}")
        request.state.principal = principal
        return principal


def requires(*roles: str) -> Any:
    """The guard itself, for a router's `dependencies=[…]`: every route on it needs one of `roles` (which the
    operation lists as the StaffToken scheme's scopes)."""
    if not roles:
        raise ValueError("name the roles; a route open to anyone needs no guard")
    return Security(_Guard(roles), scopes=list(roles))


def allow(*roles: str) -> Any:
    """`Annotated[Principal, …]` for a route parameter: the caller, holding at least one of `roles`."""
    return Annotated[Principal, requires(*roles)]


def caller_of(request: Request) -> Principal | None:
    """The principal a guard admitted on this request, if any."""
    return getattr(request.state, "principal", None)
