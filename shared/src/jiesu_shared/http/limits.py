"""Refuse what no route should ever see, before anything reads it or authenticates the caller: a body
over the size limit (413) and NUL characters, which PostgreSQL cannot store (422). problem+json, nothing
appended, and memory does not grow with what the client sends."""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiesu_shared.http.problems import PROBLEM_BASE, PROBLEM_JSON

# A NUL as raw bytes, as a JSON escape, or percent-encoded in a form or query string.
_NUL_FORMS = (b"\x00", b"\\u0000", b"%00")
_OVERLAP = max(len(form) for form in _NUL_FORMS) - 1


class Refused(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


def _too_large(max_bytes: int) -> Refused:
    return Refused(413, "payload-too-large", "The request body is too large", f"at most {max_bytes} bytes are accepted")


def _nul() -> Refused:
    return Refused(422, "nul-character", "The request contains a NUL character",
                   "NUL (U+0000) is not allowed anywhere in a request; remove it and send again")


def _has_nul(data: bytes) -> bool:
    return any(form in data for form in _NUL_FORMS)


class RequestLimits:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _answer(scope, send, _too_large(self.max_bytes))
            return
        if _has_nul(scope.get("raw_path") or b"") or _has_nul(scope.get("query_string") or b""):
            await _answer(scope, send, _nul())
            return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0
        tail = b""  # the end of the previous chunk: a NUL escape may straddle two chunks
        refused: Refused | None = None
        started = False

        async def checking_receive() -> Message:
            nonlocal seen, tail, refused
            message = await receive()
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                refused = _too_large(self.max_bytes)
            elif _has_nul(tail + chunk):
                refused = _nul()
            if refused is not None:
                raise refused
            tail = chunk[-_OVERLAP:]
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                return  # whatever the app made of the aborted read, the answer is the refusal
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, checking_receive, guarded_send)
        except Refused:
            pass
        if refused is not None and not started:
            await _answer(scope, send, refused)


async def _answer(scope: Scope, send: Send, refusal: Refused) -> None:
    body = json.dumps({"type": PROBLEM_BASE + refusal.slug, "title": refusal.title, "status": refusal.status,
                       "detail": refusal.detail, "instance": scope.get("path", "")}).encode()
    await send({"type": "http.response.start", "status": refusal.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
