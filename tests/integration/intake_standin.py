"""A real HTTP server standing in for intake's disclosure API (`POST /cases/{case_id}/disclosures`), for
the gateway's tests while the two are built apart: it answers exactly as intake's contract says (200 with
the unsealed details, 410 problem+json once the citizen is erased, 404 for an unknown case, 401 without the
gateway's token) and records every call, so a test can see who asked for what and why."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/cases/(?P<case_id>[^/]+)/disclosures$")


@dataclass
class DisclosureCall:
    case_id: str
    authorization: str | None
    body: dict[str, Any]


@dataclass
class IntakeStandIn:
    token: str
    personal: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> what intake would unseal
    erased: set[str] = field(default_factory=set)
    failing: bool = False  # answer 503, as an intake in trouble would
    calls: list[DisclosureCall] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, answer = standin.answer(self.path, self.headers.get("authorization"), raw)
                payload = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json" if status == 200 else "application/problem+json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, authorization: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        match = _PATH.match(path)
        if match is None:
            return 404, _problem(404, "no such route")
        if authorization != f"Bearer {self.token}":
            return 401, _problem(401, "a staff token with the disclosure role is needed")
        case_id = match["case_id"]
        self.calls.append(DisclosureCall(case_id, authorization, json.loads(raw)))
        if self.failing:
            return 503, _problem(503, "intake is unwell")
        if case_id in self.erased:
            return 410, _problem(410, "the citizen's data was erased")
        if case_id not in self.personal:
            return 404, _problem(404, "no such case")
        return 200, {"case_id": case_id, **self.personal[case_id]}

    def calls_for(self, case_id: str) -> list[DisclosureCall]:
        return [c for c in list(self.calls) if c.case_id == case_id]


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": "Problem", "status": status, "detail": detail}
