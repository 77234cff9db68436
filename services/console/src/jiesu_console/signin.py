"""Signing in and out. Staff paste their staff token (JIESU_STAFF, what the demo prints) or use the city's
OpenID Connect provider; departments use their API key. The console learns who they are from the services
(`GET /whoami` for staff, the gateway's `GET /me` for a department) and keeps the credential server-side."""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jiesu_console.guards import SESSION_COOKIE, SIGNIN_CSRF_COOKIE, SignedIn, console_of, current_session
from jiesu_console.i18n import _
from jiesu_console.pages import render
from jiesu_console.sessions import DEPARTMENT
from jiesu_console.upstream import CredentialRejected, UpstreamError

router = APIRouter()


def safe_next(url: str | None) -> str:
    """Only a path on this console: never an open redirect to another site."""
    if not url or not url.startswith("/") or url.startswith("//") or urlsplit(url).netloc:
        return "/"
    return url


@router.get("/sign-in", name="sign_in")
async def sign_in_page(request: Request, next: str = "/", expired: bool = False) -> Response:
    return _sign_in_form(request, next=safe_next(next), error=_("Your session has ended; please sign in again.")
                         if expired else None)


def _sign_in_form(request: Request, *, next: str, error: str | None = None, status: int = 200) -> Response:
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.cookies[SIGNIN_CSRF_COOKIE] = token  # render reads it from here
    response = render(request, "sign_in.html", status=status, next=next, error=error)
    response.set_cookie(SIGNIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
                        secure=console_of(request).settings.secure_cookies)
    return response


@router.post("/sign-in/token")
async def sign_in_with_token(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    console = console_of(request)
    try:
        me = await console.upstream.call(token.strip(), "intake", "GET", "/whoami")
    except CredentialRejected:
        return _sign_in_form(request, next=safe_next(next), error=_("This staff token is not valid."), status=401)
    return await open_session(request, kind="staff", principal_id=me["id"], roles=me["roles"],
                              credential=token.strip(), next=next)


@router.post("/sign-in/department")
async def sign_in_as_department(request: Request, api_key: Annotated[str, Form()],
                                next: Annotated[str, Form()] = "/") -> Response:
    console = console_of(request)
    try:
        me = await console.upstream.call(api_key.strip(), "gateway", "GET", "/me")
    except (CredentialRejected, UpstreamError) as exc:
        if not isinstance(exc, CredentialRejected) and exc.status != 403:
            raise
        return _sign_in_form(request, next=safe_next(next), error=_("This API key is not valid."), status=401)
    return await open_session(request, kind=DEPARTMENT, principal_id=me["department_id"], roles=[DEPARTMENT],
                              credential=api_key.strip(), next=next)


async def open_session(request: Request, *, kind: str, principal_id: str, roles: list[str], credential: str,
                       next: str, refresh_token: str | None = None, expires_at=None) -> Response:  # type: ignore[no-untyped-def]
    console = console_of(request)
    old = await current_session(request)
    if old is not None:  # a new sign-in never reuses an old session id
        await run_in_threadpool(console.store.close, old.key_hash)
    key, _session = await run_in_threadpool(lambda: console.store.open(
        kind=kind, principal_id=principal_id, roles=roles, credential=credential, refresh_token=refresh_token,
        expires_at=expires_at))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="lax", secure=console.settings.secure_cookies,
                        max_age=console.settings.session_max_hours * 3600)
    response.delete_cookie(SIGNIN_CSRF_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SignedIn) -> Response:
    await run_in_threadpool(console_of(request).store.close, session.key_hash)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
async def home(request: Request, session: SignedIn) -> Response:
    return render(request, "home.html")
