"""The console at scale: dispatch holding many cases (seeded by board_seed), the four services and the console as
processes on one embedded log, a coordinator and a department signed in to the console as a browser would
(sign-in form, CSRF token, session cookie). Measured: each page's time as a client on the same machine sees it
(p50/p95 over `calls` requests, one at a time) and its transferred size (the document; no compression is set up).

A few dozen real cases go through intake, so the case page and the department's workbench show cases the
whole system knows; the seeded ones live in dispatch alone (see board_seed)."""
from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from deploy.local_stack import ServiceProcess, start_console, start_services, stop_all
from jiesu_simulator.bench import board_seed, intake_load
from jiesu_simulator.bench.stats import percentile, rss_mib

REAL_CASES = 40
DEPARTMENT = "urban-management"
DISPATCH_READS = ("/board", "/board?street=street-07", "/board?department=housing", "/board?subject=noise",
                  "/board/cases?list=state-open&limit=50", "/board/cases?list=deadline-breached&limit=50&offset=5000",
                  "/board/cases?list=ruling&limit=50&department=housing", "/board/cases?list=whistles&limit=50")
BOARD_PAGES = ("/coordinator/board", "/coordinator/board/counts", "/coordinator/board?street=street-07",
               "/coordinator/board/counts?department=housing", "/coordinator/board/lists/state-open",
               "/coordinator/board/lists/deadline-breached?page=100",
               "/coordinator/board/lists/ruling?department=housing", "/coordinator/board/lists/whistles")


def _staff() -> tuple[dict[str, str], dict[str, str]]:
    tokens = {role: secrets.token_urlsafe(16) for role in ("coordinator", "intake", "disclosure")}
    staff = [{"id": f"bench-{role}", "token": token, "roles": [role]} for role, token in tokens.items()]
    return tokens, {"JIESU_STAFF": json.dumps(staff), "JIESU_INTAKE_TOKEN": tokens["disclosure"]}


@contextmanager
def sign_in(console_url: str, form: str, field: str, credential: str) -> Iterator[httpx.Client]:
    """A browser-like client with a console session: the sign-in form's CSRF token, then its session cookie."""
    with httpx.Client(base_url=console_url, timeout=120) as client:
        page = client.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "no CSRF token on the sign-in form"
        answer = client.post(f"/sign-in/{form}", data={field: credential, "csrf_token": csrf.group(1), "next": "/"})
        assert answer.status_code == 303, answer.text[:500]
        yield client


def timed(client: httpx.Client, path: str, calls: int) -> dict:
    seconds, answer = [], None
    for _ in range(calls):
        began = time.perf_counter()
        answer = client.get(path)
        seconds.append(time.perf_counter() - began)
        answer.raise_for_status()
    assert answer is not None
    return {"p50_ms": round(percentile(seconds, 50) * 1000, 1), "p95_ms": round(percentile(seconds, 95) * 1000, 1),
            "kb": round(answer.num_bytes_downloaded / 1000, 1)}


def _record_real_cases(urls: dict[str, str], token: str) -> list[str]:
    auth = {"authorization": f"Bearer {token}"}
    answers = [httpx.post(f"{urls['intake']}/cases", json=body, headers=auth, timeout=30).raise_for_status()
               for body in intake_load.requests(REAL_CASES)]
    return [answer.json()["case_id"] for answer in answers]


def _wait_for(check, what: str, timeout: float = 120) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout}s for {what}")


def _prepare(urls: dict[str, str], tokens: dict[str, str], admin_token: str, seeded: list[str]) -> dict[str, str]:
    """Real cases through intake, a department's key, a meeting about three seeded cases: what the pages show."""
    coordinator = {"authorization": f"Bearer {tokens['coordinator']}"}
    key = httpx.post(f"{urls['gateway']}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                     json={"department_id": DEPARTMENT, "name": DEPARTMENT}).raise_for_status().json()["api_key"]
    real = _record_real_cases(urls, tokens["intake"])
    case_id = _wait_for(lambda: next((c for c in real if httpx.get(
        f"{urls['dispatch']}/cases/{c}", headers=coordinator).status_code == 200), None), "a real case in dispatch")
    _wait_for(lambda: httpx.get(f"{urls['gateway']}/tasks", headers={"authorization": f"Bearer {key}"}).json()["tasks"],
              "the department's tasks at the gateway")
    meeting = httpx.post(f"{urls['dispatch']}/meetings", headers=coordinator, json={
        "street_office": "street-office", "participants": [DEPARTMENT, "housing"],  # the seed's whistles' street office "case_ids": seeded[:3],
        "scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}).raise_for_status().json()
    return {"case": str(case_id), "meeting": meeting["meeting_id"], "key": key}


def _seeded_ids(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [r[0] for r in connection.execute("SELECT case_id FROM dispatch_board_case LIMIT 3")]


def measure(services: dict[str, ServiceProcess], console: ServiceProcess, tokens: dict[str, str], admin_token: str,
            seeded: list[str], calls: int) -> list[dict]:
    """A row per page: dispatch's board reads, then the console's pages (assets once: browsers cache them)."""
    urls = {name: p.url for name, p in services.items()}
    made = _prepare(urls, tokens, admin_token, seeded)
    rows = []
    with httpx.Client(base_url=urls["dispatch"], timeout=120,
                      headers={"authorization": f"Bearer {tokens['coordinator']}"}) as dispatch:
        rows += [{"service": "dispatch", "page": path, **timed(dispatch, path, calls)} for path in DISPATCH_READS]
    with sign_in(console.url, "token", "token", tokens["coordinator"]) as coordinator:
        pages = [*BOARD_PAGES, f"/coordinator/cases/{made['case']}", "/coordinator/meetings",
                 f"/coordinator/meetings/{made['meeting']}", "/coordinator/directory"]
        rows += [{"service": "console", "page": path, **timed(coordinator, path, calls)} for path in pages]
        rows += [{"service": "console", "page": path, **timed(coordinator, path, 1)}
                 for path in ("/static/console.css", "/static/htmx-2.0.4.min.js")]
    with sign_in(console.url, "department", "api_key", made["key"]) as department:
        rows.append({"service": "console", "page": "/department/tasks",
                     **timed(department, "/department/tasks", calls)})
    return rows


def run(state: Path, cases: int, calls: int) -> list[dict]:
    """The seeding and start-up figures as one row, then a row per page."""
    seeded = board_seed.seed(state / "dispatch.sqlite3", cases)
    tokens, staff = _staff()
    admin_token = secrets.token_urlsafe(16)
    env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"), "JIESU_LOG_LEVEL": "WARNING",
           "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", **staff}
    began = time.perf_counter()
    services = start_services(env, state)
    started = time.perf_counter() - began
    try:
        console = start_console(services, state, env={"JIESU_LOG_LEVEL": "WARNING"})
        try:
            pages = measure(services, console, tokens, admin_token, _seeded_ids(state / "dispatch.sqlite3"), calls)
            rss = {"dispatch": round(rss_mib(services["dispatch"].process.pid), 1),
                   "console": round(rss_mib(console.process.pid), 1)}
        finally:
            console.stop()
    finally:
        stop_all(services)
    return [{**seeded, "services_start_s": round(started, 1), "calls_per_page": calls, "peak_rss_mib": rss}, *pages]
