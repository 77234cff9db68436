"""Scan everything a running deployment wrote or answers for planted values, place by place: API answers that
are not need-to-know, the raw log (embedded file or Kafka topics), every service's database (rows and file
bytes incl. -wal/-shm), every export format of a fresh replay, and lastly the service logs and span files
(so that they include the requests this scan made)."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from deploy.local_stack import SERVICES
from tests.support.kafka_records import read_topic
from tests.support.leak_scan import Findings, file_bytes, parquet_rows, sqlite_files, sqlite_rows
from tests.support.staff import as_role

if TYPE_CHECKING:
    from tests.e2e.conftest import Deployment

EXPORTS = ("events.jsonl", "events.parquet", "events.xes", "events.ocel.json", "summary.json")


@dataclass
class Stack:
    deployment: Deployment
    state: Path  # where the services keep their databases, logs and span files
    topic: str
    dead_letters: str
    kafka: str | None  # the bootstrap address, or None on the embedded log
    keys: dict[str, str] = field(default_factory=dict)  # department -> API key
    cases: dict[str, str] = field(default_factory=dict)  # channel -> case id

    def url(self, service: str, path: str) -> str:
        return self.deployment.urls[service] + path


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def scan_everything(stack: Stack, found: Findings, out: Path) -> dict:
    """Scan every place; return the summary of the replay it ran into `out`."""
    scan_read_apis(stack, found)
    scan_gateway_deliveries(stack, found)
    scan_stored(stack, found)
    summary = replay_and_scan(stack, found, out)
    scan_logs_and_spans(stack, found)
    return summary


def scan_stored(stack: Stack, found: Findings) -> None:
    scan_raw_log(stack, found)
    scan_databases(stack, found)


def scan_logs_and_spans(stack: Stack, found: Findings) -> None:
    for path in sorted((stack.state / "logs").glob("*.log")) + sorted((stack.state / "traces").glob("*.jsonl")):
        found.scan(f"{path.parent.name}/{path.name}", file_bytes(path))


def stop_services(stack: Stack) -> None:
    """Stop the services as an operator would, so that SQLite checkpoints each write-ahead log into its
    database file: what a backup or a stolen disk holds."""
    for process in stack.deployment.processes.values():
        process.stop()


def scan_read_apis(stack: Stack, found: Findings) -> None:
    """Answers that may show a case but not its citizen: the generalised place and placeholders only."""
    for case_id in stack.cases.values():
        for place, url, headers in (
                ("intake GET /cases/{id} (intake role)", stack.url("intake", f"/cases/{case_id}"), as_role("intake")),
                ("dispatch GET /cases/{id}", stack.url("dispatch", f"/cases/{case_id}"), as_role("coordinator")),
                ("audit GET /cases/{id}/timeline", stack.url("audit", f"/cases/{case_id}/timeline"),
                 as_role("coordinator"))):
            found.scan(place, _ok(httpx.get(url, headers=headers)))
    found.scan("Open311 GET requests.json (public)", _ok(httpx.get(stack.url("intake", "/open311/v2/requests.json"))))
    for department, key in stack.keys.items():
        found.scan("gateway GET /tasks (lists)", _ok(httpx.get(stack.url("gateway", "/tasks"), headers=bearer(key))))


def scan_gateway_deliveries(stack: Stack, found: Findings) -> None:
    for department, key in stack.keys.items():
        mine = httpx.get(stack.url("gateway", "/deliveries"), params={"limit": 500}, headers=bearer(key))
        found.scan("gateway GET /deliveries (department)", _ok(mine))
        theirs = httpx.get(stack.url("gateway", f"/admin/departments/{department}/deliveries"),
                           params={"limit": 500}, headers=bearer(stack.deployment.admin_token))
        found.scan("gateway admin deliveries", _ok(theirs))


def scan_raw_log(stack: Stack, found: Findings) -> None:
    if stack.kafka is not None:
        for place, topic in (("Kafka case-events topic", stack.topic), ("Kafka dead-letter topic", stack.dead_letters)):
            count, data = read_topic(stack.kafka, topic)
            assert count or topic == stack.dead_letters, f"no records on {topic}"
            found.scan(f"{place} (keys, headers, values)", data)
        return
    log = stack.state / "log.sqlite3"
    for path in sqlite_files(log):
        found.scan(f"embedded log {path.name.replace('log.sqlite3', 'file')} (bytes)", file_bytes(path))
    found.scan("embedded log rows", sqlite_rows(log))


def scan_databases(stack: Stack, found: Findings) -> None:
    for name in SERVICES:
        database = stack.state / f"{name}.sqlite3"
        for path in sqlite_files(database):
            found.scan(f"{path.name} (bytes)", file_bytes(path))
        found.scan(f"{name} database rows", sqlite_rows(database))


def replay_and_scan(stack: Stack, found: Findings, out: Path) -> dict:
    source = ["--kafka", stack.kafka] if stack.kafka else ["--embedded", str(stack.state / "log.sqlite3")]
    done = subprocess.run([sys.executable, "-m", "jiesu_audit", "replay", *source, "--topic", stack.topic,
                           "--out", str(out), "--no-progress"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"the replay failed:\n{done.stderr[-3000:]}"
    found.scan("replay's output (stdout, stderr)", done.stdout + done.stderr)
    for name in EXPORTS:
        assert (out / name).exists(), f"the replay wrote no {name}"
        found.scan(f"export {name} (bytes)", file_bytes(out / name))
    found.scan("export events.parquet (decoded rows)", parquet_rows(out / "events.parquet"))
    return json.loads(done.stdout)


def _ok(response: httpx.Response) -> bytes:
    assert response.status_code == 200, f"{response.request.url}: {response.status_code} {response.text[:500]}"
    return response.content
