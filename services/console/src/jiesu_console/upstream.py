"""The four services over HTTP, with the signed-in person's own credential: the console holds nothing
stronger than its user's. Their refusals come back as exceptions a page turns into a sentence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from jiesu_console import form_keys
from jiesu_console.config import ConsoleSettings
from jiesu_console.sessions import ConsoleSession


class UpstreamError(Exception):
    """A service answered with a problem (or not at all)."""

    def __init__(self, status: int, title: str, detail: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail = status, title, detail
        self.fields = fields  # a 422's invalid fields, e.g. ("place.street", "text")


class CredentialRejected(UpstreamError):
    """401: the credential expired or was revoked; the person must sign in again."""


class NotAllowed(UpstreamError):
    """403: the service says this person's roles may not do this."""


@dataclass
class Upstream:
    settings: ConsoleSettings
    client: httpx.AsyncClient

    @classmethod
    def start(cls, settings: ConsoleSettings) -> Upstream:
        return cls(settings, httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def call(self, session: ConsoleSession | str, service: str, method: str, path: str, *,
                   json: Any = None, params: dict[str, Any] | None = None,
                   idempotency_key: str | None = None) -> Any:
        """The service's JSON answer; raises UpstreamError (or a subclass) on anything but 2xx."""
        credential = session if isinstance(session, str) else session.credential
        headers = {"authorization": f"Bearer {credential}"}
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        try:
            response = await self.client.request(method, self.settings.service_url(service) + path, json=json,
                                                 params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamError(502, "unreachable", f"{service} did not answer ({type(exc).__name__})") from exc
        if response.is_success:
            return response.json() if response.content else None
        raise _error(response)

    async def command(self, session: ConsoleSession | str, service: str, path: str,
                      body: Any = None) -> tuple[Any, UpstreamError | None]:
        """POST a command: the answer, or the refusal a person can act on (409: the case or task moved on;
        422: the form needs checking) to show on the page they came from. Anything else is raised.

        The command carries the key of the form that asked for it (form_keys) as its Idempotency-Key: sent
        again, even while the first send is still being handled, the service answers as it did the first
        time (a twin waits for the first: see jiesu_shared.store.idempotency.hold) and records nothing twice."""
        try:
            return await self.call(session, service, "POST", path, json=body,
                                   idempotency_key=form_keys.submitted()), None
        except UpstreamError as exc:
            if exc.status not in (409, 422):
                raise
            return None, exc


def _error(response: httpx.Response) -> UpstreamError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    title, detail = str(problem.get("title", response.reason_phrase)), str(problem.get("detail", ""))
    if response.status_code == 401:
        return CredentialRejected(401, title, detail)
    if response.status_code == 403:
        return NotAllowed(403, title, detail)
    fields = tuple(str(e.get("field", "")) for e in problem.get("errors", []) if isinstance(e, dict))
    return UpstreamError(response.status_code, title, detail, fields)
