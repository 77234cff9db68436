"""Departments that answer webhooks on their own schedule, relative to each task's response deadline:
a real HTTP receiver that accepts and responds through the gateway's task API, and notes every delivery."""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Behaviour:
    respond_at: float  # seconds after the response deadline (negative: before it)
    hold_seconds: float = 0.0  # how long the endpoint takes to answer a webhook


@dataclass
class Departments:
    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    gateway_url: str = ""
    received_at: dict[str, list[float]] = field(default_factory=dict)  # webhook id -> monotonic receipt times
    receipts: list[tuple[float, str, str, int]] = field(default_factory=list)  # (monotonic, department, id, port)
    reminders: set[str] = field(default_factory=set)  # webhook ids of task.reminder deliveries = sla.warning ids
    failures: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        departments = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                department = self.path.rstrip("/").rsplit("/", 1)[-1]
                departments.on_delivery(department, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw),
                                        self.client_address[1])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def on_delivery(self, department: str, headers: dict[str, str], body: dict, client_port: int = 0) -> None:
        self.received_at.setdefault(headers.get("webhook-id", "?"), []).append(time.monotonic())
        self.receipts.append((time.monotonic(), department, headers.get("webhook-id", "?"), client_port))
        if body.get("type") == "task.reminder":
            self.reminders.add(headers.get("webhook-id", "?"))
        behaviour = self.behaviour.get(department)
        if body.get("type") != "task.offered" or behaviour is None:
            return
        data = body["data"]
        respond_by = datetime.fromisoformat(data["respond_by"])
        delay = (respond_by + timedelta(seconds=behaviour.respond_at) - datetime.now(UTC)).total_seconds()
        threading.Thread(target=self._work, args=(department, data["task_id"], delay), daemon=True).start()
        time.sleep(behaviour.hold_seconds)

    def _work(self, department: str, task_id: str, delay: float) -> None:
        self._act(department, task_id, "accept", None)
        time.sleep(max(0.0, delay))  # the department's own pace: it answers when its behaviour says
        self._act(department, task_id, "respond", {"note": "called the caller back"})

    def _act(self, department: str, task_id: str, action: str, body: dict | None) -> None:
        for _ in range(60):  # the gateway may be restarting: try again, as a department's client would
            try:
                answer = httpx.post(f"{self.gateway_url}/tasks/{task_id}/{action}", json=body, timeout=10,
                                    headers={"authorization": f"Bearer {self.keys[department]}"})
                if answer.status_code in (200, 409):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.failures.append(f"{department} could not {action} {task_id}")


def connected_ports(pid: int, remote_port: int) -> set[int]:
    """The local ports of process `pid`'s TCP connections to 127.0.0.1:`remote_port` (from /proc): which
    webhooks in flight a given gateway process is sending."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    with open(f"/proc/{pid}/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.split(":")[1], 16) == remote_port:
                ports.add(int(local.split(":")[1], 16))
    return ports
