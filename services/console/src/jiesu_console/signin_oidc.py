"""The two routes of the OpenID Connect sign-in: off to the provider, and back with a code. The pending
sign-in (state, PKCE verifier) waits in this process under a random cookie for at most ten minutes."""
from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from jiesu_console.errors import error_page
from jiesu_console.guards import console_of
from jiesu_console.i18n import _
from jiesu_console.oidc import PendingSignIn, SignInFailed
from jiesu_console.signin import open_session, safe_next
from jiesu_console.upstream import UpstreamError

router = APIRouter()
PENDING_COOKIE = "jiesu_oidc_pending"
PENDING_SECONDS = 600
_pending: dict[str, PendingSignIn] = {}


def _redirect_uri(request: Request) -> str:
    base = console_of(request).settings.console_url or str(request.base_url)
    return base.rstrip("/") + "/sign-in/oidc/callback"


@router.get("/sign-in/oidc")
async def start(request: Request, next: str = "/") -> Response:
    oidc = console_of(request).oidc
    if oidc is None:
        return error_page(request, 404)
    try:
        url, pending = await oidc.authorization_url(_redirect_uri(request), safe_next(next))
    except SignInFailed:
        return error_page(request, 502)
    now = time.monotonic()
    for key in [k for k, p in _pending.items() if now - p.started > PENDING_SECONDS]:
        del _pending[key]
    key = secrets.token_urlsafe(32)
    _pending[key] = pending
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(PENDING_COOKIE, key, httponly=True, samesite="lax", max_age=PENDING_SECONDS,
                        secure=console_of(request).settings.secure_cookies)
    return response


@router.get("/sign-in/oidc/callback")
async def callback(request: Request, code: str = "", state: str = "") -> Response:
    console = console_of(request)
    pending = _pending.pop(request.cookies.get(PENDING_COOKIE, ""), None)
    if console.oidc is None or pending is None or not code or not secrets.compare_digest(pending.state, state):
        return error_page(request, 403, _("The sign-in could not be completed. Please start again."))
    try:
        token = await console.oidc.exchange(code, _redirect_uri(request), pending)
        me = await console.upstream.call(token["credential"], "intake", "GET", "/whoami")
    except (SignInFailed, UpstreamError):
        return error_page(request, 403, _("The sign-in could not be completed. Please start again."))
    response = await open_session(request, kind="staff", principal_id=me["id"], roles=me["roles"],
                                  credential=token["credential"], refresh_token=token["refresh_token"],
                                  expires_at=token["expires_at"], next=pending.next_url)
    response.delete_cookie(PENDING_COOKIE)
    return response
