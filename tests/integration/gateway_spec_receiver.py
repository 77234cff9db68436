"""A department's webhook endpoint written from the Standard Webhooks specification alone — neither
Jiesu's signing code nor the reference library — that can be down, failing, redirecting or gone.

Spec (standard-webhooks/spec, "Verifying webhooks"): the signed content is `{webhook-id}.{webhook-
timestamp}.{body}`; the secret is base64 after the `whsec_` prefix; `webhook-signature` is a space-
separated list of `v1,<base64 HMAC-SHA256>`, any one of which must match (constant-time); the
timestamp must be within a tolerance of the receiver's now (5 minutes) against replays.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def spec_verify(secret: str, headers: dict[str, str], body: bytes, now: datetime) -> bool:
    try:
        msg_id, timestamp, signatures = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
        key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
        sent_at = int(timestamp)
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - sent_at) > TOLERANCE_SECONDS:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


@dataclass
class Received:
    department: str
    headers: dict[str, str]
    raw: bytes
    verified: bool

    @property
    def message(self) -> dict:
        return json.loads(self.raw)


@dataclass
class SpecReceiver:
    """Listens on a fixed port once `up()`; `down()` closes it so connections are refused."""

    port: int
    clock: Callable[[], datetime]
    secrets: dict[str, list[str]] = field(default_factory=dict)  # department -> secrets it accepts
    answers: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)  # department -> status, headers
    received: list[Received] = field(default_factory=list)
    hanging: set[str] = field(default_factory=set)  # departments whose endpoint never answers in time
    released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                department = self.path.rstrip("/").rsplit("/", 1)[-1]
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = any(spec_verify(s, headers, raw, receiver.clock())
                               for s in receiver.secrets.get(department, []))
                receiver.received.append(Received(department, headers, raw, verified))
                if department in receiver.hanging:
                    receiver.released.wait(timeout=30)  # a stuck endpoint: the gateway must give up first
                status, extra = receiver.answers.get(department, (204, {}))
                self.send_response(status if verified else 400)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, department: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hooks/{department}"

    def ids(self, department: str) -> list[str]:
        """webhook-ids received and verified, first receipt only, in order of arrival."""
        seen: list[str] = []
        for r in list(self.received):
            if r.department == department and r.verified and r.headers["webhook-id"] not in seen:
                seen.append(r.headers["webhook-id"])
        return seen
