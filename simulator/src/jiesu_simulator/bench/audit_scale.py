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
             "/analytics/three-rates?month=2026-01", "/analytics/rankings?month=2026-01", "/analytics/outcomes",
             "/analytics/recurring", "/analytics/departments/housing",
             "/analytics/departments/housing/figures?month=2026-01", "/analytics/deliveries?period=week",
             "/analytics/sla-warnings", "/analytics/rulings", "/analytics/counted?period=day",
             "/analytics/recurring?district=Dongcheng&street=Jingshan")


def catch_up(url: str, events: int, timeout: float) -> tuple[float, dict]:
    """Seconds from the audit's start until /health says every event is applied and it has caught up."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            health = httpx.get(url + "/health", timeout=10).json()
        except httpx.HTTPError:  # not listening yet, or too busy to answer in time
            health = {}
        if health.get("caught_up") and health.get("events_applied", 0) >= events:
            return time.monotonic() - started, health
        time.sleep(0.2)
    raise TimeoutError(f"audit did not catch up within {timeout}s")


def latencies(url: str, token: str, calls: int, pid: int, endpoints: tuple[str, ...] = ENDPOINTS
              ) -> dict[str, dict[str, float]]:
    """Each endpoint's wall-clock p50/p95 and the audit's CPU time per call (the steadier figure on a shared
    machine), and the size of its answer."""
    found = {}
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=300) as client:
        for path in endpoints:
            seconds, cpu = [], cpu_seconds(pid)
            for _ in range(calls):
                began = time.perf_counter()
                answer = client.get(path)
                seconds.append(time.perf_counter() - began)
                answer.raise_for_status()
            found[path] = {"p50_ms": round(percentile(seconds, 50) * 1000, 1),
                           "p95_ms": round(percentile(seconds, 95) * 1000, 1),
                           "cpu_ms_per_call": round((cpu_seconds(pid) - cpu) * 1000 / calls, 1),
                           "bytes": len(answer.content)}
    return found


def measure(audit, database: Path, events: int, token: str, calls: int, timeout: float,  # type: ignore[no-untyped-def]
            reused: bool = False, endpoints: tuple[str, ...] = ENDPOINTS) -> dict:
    """A fresh database: the catch-up, then the latencies. A `reused` one (caught up by an earlier run):
    the latencies only, and the peak RSS is that of answering."""
    seconds, health = catch_up(audit.url, 0 if reused else events, timeout)
    row: dict = {"events": events}
    if reused:
        row["catch_up"] = "measured in an earlier run (database reused)"
    else:
        cpu = cpu_seconds(audit.process.pid)  # start-up included: on a shared machine, CPU time is the steadier
        row.update(catch_up_s=round(seconds, 1), catch_up_per_s=round(events / seconds),
                   catch_up_cpu_s=round(cpu, 1), catch_up_per_cpu_s=round(events / cpu),
                   rss_after_catch_up_mib=round(rss_mib(audit.process.pid), 1))
    row["load_average_1min"] = round(os.getloadavg()[0], 1)
    row["latency"] = latencies(audit.url, token, calls, audit.process.pid, endpoints)
    row["peak_rss_mib"] = round(rss_mib(audit.process.pid), 1)
    row["database_mib"] = round(database.stat().st_size / 2**20)
    return row


def district_log(cases: int, log: Path, kept_in: Path | None, prepare) -> int:  # type: ignore[no-untyped-def]
    """The district's log at `log`: linked from `kept_in` when a previous run left it there (writing a
    million cases takes longer than auditing them; a link, as its ~22 GB would not be copied twice), else
    written (and left there for the next run)."""
    kept = kept_in / f"district-{cases}.sqlite3" if kept_in else None
    if kept is not None and kept.exists():
        _checkpoint(kept)  # its WAL is named after the path: the link would not see it
        os.link(kept, log)
    else:
        prepare(cases, log)
        if kept is not None:
            kept_in.mkdir(parents=True, exist_ok=True)
            _checkpoint(log)
            shutil.copyfile(log, kept)
    with closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def forget_consumers(log: Path) -> None:
    """No consumer group has read the log yet: a fresh audit starts from offset 0 (a kept log keeps the
    positions of the audit that read it last)."""
    with closing(sqlite3.connect(log, isolation_level=None)) as conn:
        conn.execute("DELETE FROM group_offsets")
        conn.execute("DELETE FROM group_leases")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _checkpoint(log: Path) -> None:
    with closing(sqlite3.connect(log)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
