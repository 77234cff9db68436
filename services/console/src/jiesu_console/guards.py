"""Who is signed in, what they may open, and the CSRF check every unsafe request passes.

`page_for(*roles)` is the one way a page says who may see it, like `allow(…)` in the services: no session
→ the sign-in page; a session without one of the roles → 403 (a page, not a stack trace)."""
from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from jiesu_console import form_keys
from jiesu_console.i18n import LANGUAGE_COOKIE, activate, choose
from jiesu_console.sessions import ConsoleSession

SESSION_COOKIE = "jiesu_session"
SIGNIN_CSRF_COOKIE = "jiesu_signin_csrf"  # double-submit token for the forms shown before a session exists
CSRF_HEADER = "x-csrf-token"  # htmx sends it on every request (hx-headers on <body>)
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """The person's roles may not see this page."""


class CsrfRefused(Exception):
    """An unsafe request without the session's CSRF token."""


def console_of(request: Request) -> Any:
    return request.app.state.console


def language_of(request: Request) -> str:
    return choose(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
                  console_of(request).settings.default_language)


async def current_session(request: Request) -> ConsoleSession | None:
    """The request's live session (looked up once per request), or None."""
    if not hasattr(request.state, "console_session"):
        key = request.cookies.get(SESSION_COOKIE)
        request.state.console_session = await run_in_threadpool(console_of(request).store.find, key) if key else None
    return request.state.console_session


async def prepare_request(request: Request) -> None:
    """Every route's first dependency: the language, then the CSRF check for anything that changes state,
    then the key of the form it sends (form_keys: the command acts once however often the form is sent)."""
    request.state.lang = language_of(request)
    activate(request.state.lang)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    await form_keys.take(request)


async def _check_csrf(request: Request) -> None:
    session = await current_session(request)
    expected = session.csrf if session else request.cookies.get(SIGNIN_CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(CSRF_FIELD)  # cached: the route reads the same form
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise CsrfRefused()


def page_for(*roles: str) -> Any:
    """`Annotated[ConsoleSession, …]` for a route parameter: the signed-in person, holding one of `roles`."""
    if not roles:
        raise ValueError("name the roles that may see the page")

    async def guard(request: Request) -> ConsoleSession:
        session = await current_session(request)
        if session is None:
            raise SignInRequired(_here(request))
        if not session.holds_any(roles):
            raise PageForbidden()
        await console_of(request).refresh_if_due(session)
        return session

    return Annotated[ConsoleSession, Depends(guard)]


async def signed_in(request: Request) -> ConsoleSession:
    """Any signed-in person, whatever their roles (the home page, sign-out)."""
    session = await current_session(request)
    if session is None:
        raise SignInRequired(_here(request))
    return session


SignedIn = Annotated[ConsoleSession, Depends(signed_in)]


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def credential_due(session: ConsoleSession, *, margin: timedelta = timedelta(seconds=30)) -> bool:
    expires = session.credential_expires_at
    return expires is not None and session.refresh_token is not None and \
        expires - margin <= datetime.now(timezone.utc)
