"""A fresh audit on a (large) district log for a bounded time, from offset 0: events applied, its CPU time and
peak RSS every 30 s (the 1,000,000-case log's catch-up takes longer than a session on a shared machine).
Run from the repository root:

    python -m jiesu_simulator.bench.catch_up_window .bench/district-1000000.sqlite3 /tmp/state MINUTES
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path.cwd()))  # run from the repository root: deploy/ holds the process launcher
from deploy.local_stack import ServiceProcess, free_port  # noqa: E402

from jiesu_simulator.bench import audit_scale  # noqa: E402
from jiesu_simulator.bench.stats import cpu_seconds, rss_mib  # noqa: E402

kept, state, minutes = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
state.mkdir(parents=True, exist_ok=True)
log = state / "log.sqlite3"
os.link(kept, log)
audit_scale.forget_consumers(log)
token = secrets.token_urlsafe(16)
env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(log), "JIESU_LOG_LEVEL": "WARNING",
       "JIESU_STAFF": json.dumps([{"id": "bench", "token": token, "roles": ["researcher"]}]),
       "JIESU_PORT": str(free_port()), "JIESU_DATABASE_URL": f"sqlite:///{state}/audit.sqlite3"}
audit = ServiceProcess("jiesu_audit", env, state / "logs" / "audit.log")
began = time.monotonic()
try:
    while time.monotonic() - began < minutes * 60:
        time.sleep(30)
        try:
            health = httpx.get(audit.url + "/health", timeout=20).json()
        except httpx.HTTPError as exc:
            health = {"error": type(exc).__name__}
        pid = audit.process.pid
        print(json.dumps({"wall_s": round(time.monotonic() - began), "cpu_s": round(cpu_seconds(pid), 1),
                          "peak_rss_mib": round(rss_mib(pid), 1), "events_applied": health.get("events_applied"),
                          "load": os.getloadavg()[0], "db_mib": round((state / "audit.sqlite3").stat().st_size / 2**20)
                          if (state / "audit.sqlite3").exists() else 0}), flush=True)
finally:
    audit.stop()
    log.unlink()
