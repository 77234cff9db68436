"""Routes kept for departments that integrated before a rename. Each runs its successor's handler, is marked
deprecated in the OpenAPI document, and says so on every answer, errors included: `Deprecation: true` and
`Link: <successor>; rel="successor-version"` (RFC 8288), so a department's logs show what to change."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Alias:
    old: re.Pattern[str]  # the deprecated path, its variable segments named
    successor: str  # the path to use instead, with the same names in braces

    @property
    def description(self) -> str:
        return (f"Kept for departments integrated before the route was renamed; use `POST {self.successor}`, "
                "which takes the same body and gives the same answers. Every answer here carries "
                "`Deprecation: true` and `Link: <successor>; rel=\"successor-version\"`.")

    def successor_of(self, path: str) -> str | None:
        match = self.old.fullmatch(path)
        if match is None:
            return None
        return self.successor.format(**{name: quote(value, safe="") for name, value in match.groupdict().items()})


# 退单 is "return" in the domain; the API first called it "reject".
RETURN_ALIAS = Alias(re.compile(r"/tasks/(?P<task_id>[^/]+)/reject"), "/tasks/{task_id}/return")
ALIASES = (RETURN_ALIAS,)


def successor_of(path: str) -> str | None:
    return next((s for s in (alias.successor_of(path) for alias in ALIASES) if s is not None), None)


class DeprecatedAliases:
    """ASGI middleware adding the headers to every answer of a deprecated route (a 401, 404 or 422 too, which
    are answered before or instead of its handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        successor = successor_of(scope["path"]) if scope["type"] == "http" else None
        if successor is None:
            await self.app(scope, receive, send)
            return
        marks = [(b"deprecation", b"true"), (b"link", f'<{successor}>; rel="successor-version"'.encode("latin-1"))]

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *marks]}
            await send(message)

        await self.app(scope, receive, send_marked)
