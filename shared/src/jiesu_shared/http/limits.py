"""What no route should ever see, refused before anything reads it or authenticates the caller: a body
over the size limit (413) and NUL characters, which PostgreSQL cannot store (422). problem+json, nothing
appended, and memory does not grow with what the client sends. The checks; the edge (edge.py) applies them."""
from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope, Send

from jiesu_shared.http.problems import PROBLEM_BASE, PROBLEM_JSON

# A NUL as raw bytes, as a JSON escape, or percent-encoded in a form or query string.
_NUL_FORMS = (b"\x00", b"\\u0000", b"%00")
OVERLAP = max(len(form) for form in _NUL_FORMS) - 1


class Refused(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


def too_large(max_bytes: int) -> Refused:
    return Refused(413, "payload-too-large", "The request body is too large", f"at most {max_bytes} bytes are accepted")


def nul() -> Refused:
    return Refused(422, "nul-character", "The request contains a NUL character",
                   "NUL (U+0000) is not allowed anywhere in a request; remove it and send again")


def has_nul(data: bytes) -> bool:
    return b"\x00" in data or b"\\u0000" in data or b"%00" in data  # _NUL_FORMS, without a generator per call


def refused_up_front(scope: Scope, max_bytes: int) -> Refused | None:
    """What the request line and headers already show: a declared length over the limit, a NUL in the path."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > max_bytes:
            return too_large(max_bytes)
    if has_nul(b"?".join((scope.get("raw_path") or b"", scope.get("query_string") or b""))):
        return nul()
    return None


class CheckedBody:
    """The app's `receive`, counting and scanning the body as the app reads it: past the limit or at a NUL
    (even one split across two chunks) it raises, and keeps the refusal for the caller to answer with."""

    __slots__ = ("_receive", "_max_bytes", "_seen", "_tail", "refused")

    def __init__(self, receive: Receive, max_bytes: int) -> None:
        self._receive, self._max_bytes = receive, max_bytes
        self._seen, self._tail = 0, b""
        self.refused: Refused | None = None

    async def __call__(self) -> Message:
        message = await self._receive()
        chunk = message.get("body", b"")
        self._seen += len(chunk)
        if self._seen > self._max_bytes:
            self.refused = too_large(self._max_bytes)
        elif has_nul(self._tail + chunk):
            self.refused = nul()
        if self.refused is not None:
            raise self.refused
        self._tail = chunk[-OVERLAP:]
        return message


async def answer(scope: Scope, send: Send, refusal: Refused) -> None:
    body = json.dumps({"type": PROBLEM_BASE + refusal.slug, "title": refusal.title, "status": refusal.status,
                       "detail": refusal.detail, "instance": scope.get("path", "")}).encode()
    await send({"type": "http.response.start", "status": refusal.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
