"""A real HTTP webhook receiver playing the departments. It verifies every delivery with the
Standard Webhooks reference library (not Jiesu's own signing code)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Delivery:
    department: str
    headers: dict[str, str]
    body: dict
    verified: bool


@dataclass
class WebhookReceiver:
    secrets: dict[str, str] = field(default_factory=dict)  # department -> whsec_…
    deliveries: list[Delivery] = field(default_factory=list)
    status_code: int = 204

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                department = self.path.rstrip("/").rsplit("/", 1)[-1]
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secrets[department]).verify(raw, headers)
                    verified = True
                except (KeyError, WebhookVerificationError):
                    verified = False
                receiver.deliveries.append(Delivery(department, headers, json.loads(raw), verified))
                self.send_response(receiver.status_code)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_department(self, department: str) -> list[Delivery]:
        return [d for d in list(self.deliveries) if d.department == department]
