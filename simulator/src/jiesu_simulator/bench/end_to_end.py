"""End to end: at a fixed offered rate, time from intake's answer to the department's webhook, and
to the offer being in audit's timeline, with all services and the log on this machine; where that time
goes hop by hop (from the services' spans); and what each service costs with nothing to do."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx

from jiesu_simulator.bench.http_client import ConnectionPool, HttpError
from jiesu_simulator.bench.hops import breakdown, read_spans
from jiesu_simulator.bench.stats import cpu_ms_per_case, cpu_seconds, cpu_snapshot, summary_ms
from jiesu_simulator.bench.webhook_sink import WebhookSink

CASE = {"text": "邻居在楼道堆放杂物 a neighbour blocks the corridor", "channel": "hotline",
        "category": "neighbour_dispute", "place": {"district": "Dongcheng", "street": "Jingshan"}}
# Cases per rate watched until the offer is on audit's timeline: a fixed number, spread over the run. Watched
# in audit's database file (read-only, every 10 ms), not through its HTTP API: the polls had been ~40 % of
# audit's CPU at 100 cases/s, counted as CPU the cases cost.
AUDIT_WATCHED = 40
IDLE_SECONDS = 15
SPAN_FLUSH_SECONDS = 1.0  # the services write their spans in batches every 200 ms


async def register(gateway: str, admin_token: str, hook: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{gateway}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                                     json={"department_id": "street-office", "name": "Street office",
                                           "webhook_url": hook})
        response.raise_for_status()


def _epoch(perf: float) -> float:
    return perf + (time.time() - time.perf_counter())


async def idle(pids: dict[str, int], seconds: float = IDLE_SECONDS) -> dict[str, float]:
    """Each service's CPU, in % of one core, while nothing is asked of it."""
    before = cpu_snapshot(pids)
    await asyncio.sleep(seconds)
    return {f"idle_cpu_pct_{name}": round((cpu_seconds(pid) - before[name]) * 100 / seconds, 2)
            for name, pid in pids.items()}


async def run_rate(urls: dict[str, str], pids: dict[str, int], sink: WebhookSink, rate: float,
                   seconds: float, token: str, traces: Path, audit_database: Path
                   ) -> tuple[dict[str, float], dict[str, float]]:
    cpu_before = cpu_snapshot(pids)
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    audit_seen: dict[str, float] = {}
    errors = 0
    intake = ConnectionPool(urls["intake"], token)
    audit = sqlite3.connect(f"file:{audit_database}?mode=ro", uri=True)
    total = int(rate * seconds)
    watch_every = max(1, total // AUDIT_WATCHED)

    async def one(k: int, due: float) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, due - time.perf_counter()))  # open loop: keep the schedule
        started = time.perf_counter()
        try:  # past saturation requests fail: count them, they are part of the answer
            case_id = (await intake.post_json("/cases", CASE))["case_id"]
        except HttpError:
            errors += 1
            return
        sent[case_id], answered[case_id] = started, time.perf_counter()
        if k % watch_every == 0:
            await watch_audit(audit, case_id, audit_seen)

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(k, t0 + k / rate) for k in range(total)))
        await _until(lambda: all(c in sink.arrivals for c in sent), 60)
    finally:
        await intake.close()
        audit.close()
    cpu = cpu_ms_per_case(pids, cpu_before, len(sent))
    to_webhook = [sink.arrivals[c] - sent[c] for c in sent if c in sink.arrivals]
    to_audit = [audit_seen[c] - sent[c] for c in audit_seen]
    row = {"offered_per_s": rate, "cases": len(sent), "failed_requests": errors, "delivered": len(to_webhook),
           "audit_watched": len(to_audit),
           **{f"webhook_{k}": v for k, v in summary_ms(to_webhook).items()},
           **{f"audit_{k}": v for k, v in summary_ms(to_audit).items()},
           **cpu, "cpu_ms_per_case_all": round(sum(cpu.values()), 2)}
    await asyncio.sleep(SPAN_FLUSH_SECONDS)
    moments = await asyncio.to_thread(read_spans, traces, set(sent))
    hops = breakdown(*({c: _epoch(t) for c, t in times.items()} for times in (sent, answered, sink.arrivals)),
                     moments)
    return row, {"offered_per_s": rate, **hops}


async def watch_audit(audit: sqlite3.Connection, case_id: str, seen: dict[str, float]) -> None:
    """Until the case's offer is committed to audit's timeline (an indexed look-up, ~0.1 ms, on this loop)."""
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if audit.execute("SELECT 1 FROM timeline WHERE case_id = ? AND type = 'task.offered.v1' LIMIT 1",
                         (case_id,)).fetchone():
            seen[case_id] = time.perf_counter()
            return
        await asyncio.sleep(0.01)


async def _until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def run(urls: dict[str, str], pids: dict[str, int], admin_token: str, staff_token: str, rates: list[float],
              seconds: float, traces: Path, label: str, audit_database: Path) -> list[dict]:
    """An idle row, a row per rate, then the hop breakdown per rate (each kind its own table)."""
    sink = WebhookSink()
    hook = await sink.start()
    try:
        await register(urls["gateway"], admin_token, hook)
        rows: list[dict] = [{"benchmark": f"idle, CPU % of a core ({label})", **await idle(pids)}]
        measured = [await run_rate(urls, pids, sink, rate, seconds, staff_token, traces, audit_database)
                    for rate in rates]
        rows += [{"benchmark": f"end to end ({label})", **row} for row, _ in measured]
        rows += [{"benchmark": f"hops p50 ms ({label})", **hops} for _, hops in measured]
        return rows
    finally:
        await sink.stop()
