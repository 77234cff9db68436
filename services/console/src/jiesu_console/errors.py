"""Refusals as pages in the person's language: 403 for a page their roles may not see or a request
without its CSRF token (or with a form key the console never made), the sign-in page when there is no session, never a stack trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from jiesu_console.guards import (SESSION_COOKIE, CsrfRefused, PageForbidden, SignInRequired, current_session,
                                  language_of)
from jiesu_console.form_keys import MalformedFormKey
from jiesu_console.i18n import N_, _, activate
from jiesu_console.pages import render
from jiesu_console.upstream import CredentialRejected, NotAllowed, UpstreamError

log = logging.getLogger("jiesu_console")
MESSAGES = {
    400: (N_("The form is incomplete"), N_("Please go back and fill in every required field.")),
    403: (N_("Not allowed"), N_("Your roles do not allow this page or action.")),
    404: (N_("Not found"), N_("There is no such page or case.")),
    405: (N_("Not possible"), N_("This address does not take that kind of request.")),
    502: (N_("A service is not answering"), N_("Please try again in a moment.")),
    500: (N_("Something went wrong"), N_("The error has been logged. Please try again.")),
}


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    # A handler for an unexpected error runs outside the request's context: choose the language again.
    activate(getattr(request.state, "lang", None) or language_of(request))
    title, sentence = MESSAGES.get(status, MESSAGES[500])
    return render(request, "error.html", status=status, title=_(title), sentence=detail or _(sentence))


def _redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):  # htmx follows a redirect only when told in a header
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote
        return _redirect(request, f"/sign-in?next={quote(exc.next_url, safe='')}")

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, _exc: PageForbidden) -> Response:
        return error_page(request, 403)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _exc: CsrfRefused) -> Response:
        return error_page(request, 403, _("The form had expired or did not come from this console. "
                                          "Please reload the page and try again."))

    @app.exception_handler(MalformedFormKey)
    async def malformed_key(request: Request, _exc: MalformedFormKey) -> Response:
        return error_page(request, 403, _("The form had expired or did not come from this console. "
                                          "Please reload the page and try again."))

    @app.exception_handler(CredentialRejected)
    async def expired(request: Request, _exc: CredentialRejected) -> Response:
        session = await current_session(request)
        if session is not None:
            await run_in_threadpool(request.app.state.console.store.close, session.key_hash)
        response = _redirect(request, "/sign-in?expired=1")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _exc: NotAllowed) -> Response:
        return error_page(request, 403)

    @app.exception_handler(UpstreamError)
    async def upstream(request: Request, exc: UpstreamError) -> Response:
        log.warning("upstream refused: %s", exc)
        return error_page(request, 404 if exc.status == 404 else 502)

    @app.exception_handler(RequestValidationError)
    async def incomplete(request: Request, _exc: RequestValidationError) -> Response:
        return error_page(request, 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_page(request, exc.status_code if exc.status_code in MESSAGES else 500)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return error_page(request, 500)
