"""Audit at scale: a fresh audit (its own process, SQLite) catches up on a district's log from offset 0,
then each analytics endpoint is asked repeatedly; prints the catch-up rate (per second of wall time and
per second of the audit's CPU time), latencies and peak RSS."""
from __future__ import annotations

import os
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import httpx

from jiesu_simulator.bench.stats import cpu_seconds, percentile, rss_mib

ENDPOINTS = ("/analytics/departments", "/analytics/departments?period=week", "/analytics/handovers",
             "/analytics/three-rates?month=2026-01", "/analytics/outcomes", "/analytics/recurring",
             "/analytics/departments/housing")


def catch_up(url: str, events: int, timeout: float) -> tuple[float, dict]:
    """Seconds from the audit's start until /health says every event is applied and it has caught up."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        health = httpx.get(url + "/health", timeout=10).json()
        if health.get("caught_up") and health.get("events_applied", 0) >= events:
            return time.monotonic() - started, health
        time.sleep(0.2)
    raise TimeoutError(f"audit did not catch up within {timeout}s")


def latencies(url: str, token: str, calls: int) -> dict[str, dict[str, float]]:
    found = {}
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=120) as client:
        for path in ENDPOINTS:
            seconds = []
            for _ in range(calls):
                began = time.perf_counter()
                answer = client.get(path)
                seconds.append(time.perf_counter() - began)
                answer.raise_for_status()
            found[path] = {"p50_ms": round(percentile(seconds, 50) * 1000, 1),
                           "p95_ms": round(percentile(seconds, 95) * 1000, 1), "bytes": len(answer.content)}
    return found


def measure(audit, database: Path, events: int, token: str, calls: int, timeout: float) -> dict:  # type: ignore[no-untyped-def]
    seconds, health = catch_up(audit.url, events, timeout)
    cpu = cpu_seconds(audit.process.pid)  # start-up included: on a shared machine, CPU time is the steadier
    load = os.getloadavg()[0]
    row = {"events": events, "catch_up_s": round(seconds, 1), "catch_up_per_s": round(events / seconds),
           "catch_up_cpu_s": round(cpu, 1), "catch_up_per_cpu_s": round(events / cpu),
           "load_average_1min": round(load, 1), "rss_after_catch_up_mib": round(rss_mib(audit.process.pid), 1)}
    row["latency"] = latencies(audit.url, token, calls)
    row["peak_rss_mib"] = round(rss_mib(audit.process.pid), 1)
    row["database_mib"] = round(database.stat().st_size / 2**20)
    return row


def district_log(cases: int, log: Path, kept_in: Path | None, prepare) -> int:  # type: ignore[no-untyped-def]
    """The district's log at `log`: copied from `kept_in` when a previous run left it there (writing a
    million cases takes longer than auditing them), else written (and left there for the next run)."""
    kept = kept_in / f"district-{cases}.sqlite3" if kept_in else None
    if kept is not None and kept.exists():
        shutil.copyfile(kept, log)
    else:
        prepare(cases, log)
        if kept is not None:
            kept_in.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(log)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(log, kept)
    with closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
