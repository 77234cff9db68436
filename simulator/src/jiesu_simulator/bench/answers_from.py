"""Audit's answers from a kept database (caught up, or widened by `widen_audit`) on an empty log: each analytics
endpoint's latencies, the CPU per call and the peak RSS. Run from the repository root:

    python -m jiesu_simulator.bench.answers_from /tmp/audit-1m.sqlite3 CALLS [ENDPOINT ...]
"""
from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))  # run from the repository root: deploy/ holds the process launcher
from deploy.local_stack import ServiceProcess, free_port  # noqa: E402

from jiesu_shared.bus.embedded import EmbeddedBus  # noqa: E402

from jiesu_simulator.bench import audit_scale  # noqa: E402

database, calls = Path(sys.argv[1]), int(sys.argv[2])
endpoints = tuple(sys.argv[3:]) or audit_scale.ENDPOINTS
state = Path(tempfile.mkdtemp(prefix="jiesu-bench-million-"))
log = state / "log.sqlite3"
asyncio.run(EmbeddedBus(log).ensure_topics(["jiesu.case-events"]))
token = secrets.token_urlsafe(16)
env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(log), "JIESU_LOG_LEVEL": "WARNING",
       "JIESU_STAFF": json.dumps([{"id": "bench", "token": token, "roles": ["researcher"]}]),
       "JIESU_PORT": str(free_port()), "JIESU_DATABASE_URL": f"sqlite:///{database}"}
audit = ServiceProcess("jiesu_audit", env, state / "logs" / "audit.log")
try:
    row = audit_scale.measure(audit, database, 0, token, calls, timeout=3600, reused=True, endpoints=endpoints)
    print(json.dumps(row), flush=True)
finally:
    audit.stop()
    print((state / "logs" / "audit.log").read_text()[-2000:])
    shutil.rmtree(state, ignore_errors=True)
