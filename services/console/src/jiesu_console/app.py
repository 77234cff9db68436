"""The console's composition root: sessions, the services' client, templates, error pages and routes."""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import resources

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from jiesu_shared.metrics import install_http_metrics
from jiesu_shared.store import Database

from jiesu_console import signin, signin_oidc
from jiesu_console.config import ConsoleSettings
from jiesu_console.coordinators import board, case, directory, meetings, pictures
from jiesu_console.departments import figures, workbench
from jiesu_console.errors import install_error_pages
from jiesu_console.guards import prepare_request
from jiesu_console.oidc import OidcSignIn
from jiesu_console.operators import callback, record, triage
from jiesu_console.pages import Console, remember_language, template_environment
from jiesu_console.sessions import SessionStore
from jiesu_console.upstream import Upstream

ROUTERS: list[APIRouter] = [signin.router, signin_oidc.router, record.router, triage.router, callback.router,
                             workbench.router, figures.router, board.router, case.router,
                             meetings.router, directory.router, pictures.router]


def build_app(settings: ConsoleSettings | None = None, routers: Sequence[APIRouter] = ()) -> FastAPI:
    settings = settings or ConsoleSettings()
    store = SessionStore(Database(settings.database_url), idle=timedelta(minutes=settings.session_idle_minutes),
                         absolute=timedelta(hours=settings.session_max_hours))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(store.create_schema)
        await run_in_threadpool(store.purge_expired)
        upstream = Upstream.start(settings)
        oidc = None if not settings.oidc_issuer else OidcSignIn(
            issuer=settings.oidc_issuer, client_id=settings.oidc_console_client_id, http=httpx.AsyncClient(timeout=10),
            client_secret=settings.oidc_console_client_secret.get_secret_value()
            if settings.oidc_console_client_secret else None)
        app.state.console = Console(settings=settings, store=store, upstream=upstream,
                                    templates=template_environment(), oidc=oidc)
        yield
        await upstream.aclose()
        if oidc is not None:
            await oidc.http.aclose()

    # Every route: the language first, then the CSRF check on anything that is not a read.
    app = FastAPI(title="Jiesu console", lifespan=lifespan, dependencies=[Depends(prepare_request)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    install_error_pages(app)
    static = resources.files("jiesu_console").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in (*ROUTERS, *routers):
        app.include_router(router)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        remember_language(request, response)
        # Everything the pages use is served from here: no other origin may supply script or style.
        response.headers.setdefault("content-security-policy", "default-src 'self'; frame-ancestors 'none'; "
                                    "form-action 'self' " + (settings.oidc_issuer or ""))
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        return response

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": "console"}

    install_http_metrics(app, settings.host)  # its latency on JIESU_METRICS_PORT's /metrics, like the services'
    return app
