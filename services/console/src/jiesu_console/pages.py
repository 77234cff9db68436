"""Rendering a page: the one base template, the navigation the person may see, the language, times in
the deployment's zone, and the CSRF token every form and htmx request carries. Every page calls `render`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from jiesu_console import form_keys, i18n, labels
from jiesu_console.config import ConsoleSettings
from jiesu_console.guards import SIGNIN_CSRF_COOKIE, credential_due, language_of
from jiesu_console.nav import visible_to
from jiesu_console.sessions import ConsoleSession, SessionStore
from jiesu_console.upstream import Upstream


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("jiesu_console", "templates"),
                             autoescape=jinja2.select_autoescape(default=True), extensions=["jinja2.ext.i18n"],
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.raw_gettext, i18n.raw_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["label"] = labels.label
    env.globals["command_fields"] = form_keys.command_fields  # every form that changes something carries them
    return env


@dataclass
class Console:
    """What every page needs, on `app.state.console`."""

    settings: ConsoleSettings
    store: SessionStore
    upstream: Upstream
    templates: jinja2.Environment
    oidc: Any = None  # jiesu_console.oidc.OidcSignIn when JIESU_OIDC_ISSUER is set

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def local_time(self, moment: str | datetime | None) -> str:
        if moment is None:
            return "—"
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    async def refresh_if_due(self, session: ConsoleSession) -> None:
        """An OIDC access token about to expire is renewed with its refresh token before it is used."""
        if self.oidc is not None and credential_due(session):
            token = await self.oidc.refresh(session.refresh_token)
            await run_in_threadpool(self.store.renew_credential, session, **token)


def render(request: Request, template: str, *, status: int = 200, session: ConsoleSession | None = None,
           **context: Any) -> HTMLResponse:
    """The page in the person's language, with the navigation their roles allow."""
    console: Console = request.app.state.console
    lang = getattr(request.state, "lang", None) or language_of(request)
    i18n.activate(lang)
    session = session or getattr(request.state, "console_session", None)
    csrf = session.csrf if session else request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    page = console.templates.get_template(template).render(
        request=request, person=session, nav=visible_to(session.roles) if session else [], csrf_token=csrf,
        lang=lang, html_lang=i18n.HTML_LANG[lang], languages=i18n.LANGUAGES, local_time=console.local_time,
        path=request.url.path, oidc_enabled=console.oidc is not None, **context)
    return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})


def remember_language(request: Request, response: Any) -> None:
    """`?lang=` sticks: a cookie for the following pages (not a secret: readable by scripts is fine)."""
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.LANGUAGE_COOKIE, chosen, max_age=int(timedelta(days=365).total_seconds()),
                            samesite="lax", secure=request.app.state.console.settings.secure_cookies)
