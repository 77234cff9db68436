"""End to end: at a fixed offered rate, time from intake's answer to the department's webhook, and
to the offer being visible in audit's timeline, with all services and the log on this machine."""
from __future__ import annotations

import asyncio
import time

import httpx

from jiesu_simulator.bench.http_client import ConnectionPool, HttpError
from jiesu_simulator.bench.stats import cpu_ms_per_case, cpu_snapshot, summary_ms
from jiesu_simulator.bench.webhook_sink import WebhookSink

CASE = {"text": "邻居在楼道堆放杂物 a neighbour blocks the corridor", "channel": "hotline",
        "category": "neighbour_dispute", "place": {"district": "Dongcheng", "street": "Jingshan"}}
AUDIT_SAMPLE_EVERY = 10  # polling every case's timeline would load audit more than the cases do


async def register(gateway: str, admin_token: str, hook: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{gateway}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                                     json={"department_id": "street-office", "name": "Street office",
                                           "webhook_url": hook})
        response.raise_for_status()


async def run_rate(urls: dict[str, str], pids: dict[str, int], sink: WebhookSink, rate: float,
                   seconds: float, token: str) -> dict[str, float]:
    cpu_before = cpu_snapshot(pids)
    sent: dict[str, float] = {}
    audit_seen: dict[str, float] = {}
    errors = 0
    intake, audit = ConnectionPool(urls["intake"], token), ConnectionPool(urls["audit"], token)

    async def one(k: int, due: float) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, due - time.perf_counter()))  # open loop: keep the schedule
        started = time.perf_counter()
        try:  # past saturation requests fail: count them, they are part of the answer
            case_id = (await intake.post_json("/cases", CASE))["case_id"]
        except HttpError:
            errors += 1
            return
        sent[case_id] = started
        if k % AUDIT_SAMPLE_EVERY == 0:
            await watch_audit(audit, case_id, audit_seen)

    try:
        t0 = time.perf_counter()
        total = int(rate * seconds)
        await asyncio.gather(*(one(k, t0 + k / rate) for k in range(total)))
        await _until(lambda: all(c in sink.arrivals for c in sent), 60)
    finally:
        await intake.close()
        await audit.close()
    to_webhook = [sink.arrivals[c] - sent[c] for c in sent if c in sink.arrivals]
    to_audit = [audit_seen[c] - sent[c] for c in audit_seen]
    return {"offered_per_s": rate, "cases": len(sent), "failed_requests": errors, "delivered": len(to_webhook),
            **{f"webhook_{k}": v for k, v in summary_ms(to_webhook).items()},
            **{f"audit_{k}": v for k, v in summary_ms(to_audit).items()},
            **cpu_ms_per_case(pids, cpu_before, len(sent))}


async def watch_audit(audit: ConnectionPool, case_id: str, seen: dict[str, float]) -> None:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        try:
            timeline = await audit.get_json(f"/cases/{case_id}/timeline")
        except HttpError:  # 404 until audit has read the case
            timeline = {"events": []}
        if any(e["type"] == "task.offered.v1" for e in timeline["events"]):
            seen[case_id] = time.perf_counter()
            return
        await asyncio.sleep(0.01)


async def _until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def run(urls: dict[str, str], pids: dict[str, int], admin_token: str, staff_token: str, rates: list[float],
              seconds: float) -> list[dict[str, float]]:
    sink = WebhookSink()
    hook = await sink.start()
    try:
        await register(urls["gateway"], admin_token, hook)
        return [await run_rate(urls, pids, sink, rate, seconds, staff_token) for rate in rates]
    finally:
        await sink.stop()
