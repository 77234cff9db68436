"""Intake: cases per second accepted (201) and durably on the log, with latency percentiles."""
from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx

from jiesu_shared.bus.embedded import EmbeddedBus

from jiesu_simulator.bench.stats import summary_ms
from jiesu_simulator.live import new_request
from jiesu_simulator.scenario import default_scenario


def requests(total: int, seed: int = 1) -> list[dict]:
    """Citizens' requests as the district sends them: the scenario's subjects, places and vague ones."""
    scenario, rng = default_scenario(), random.Random(seed)
    return [new_request(scenario, rng) for _ in range(total)]


async def post_cases(url: str, total: int, concurrency: int) -> tuple[list[float], list[str], float]:
    """Closed loop: `concurrency` clients each send their next case when the last one is answered."""
    latencies: list[float] = []
    case_ids: list[str] = []
    bodies = iter(requests(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def worker() -> None:
            for body in bodies:
                started = time.perf_counter()
                response = await client.post("/cases", json=body)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                case_ids.append(response.json()["case_id"])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, case_ids, time.perf_counter() - started


async def count_on_log(log_path: Path, topic: str, expected: int, deadline_s: float = 120) -> float:
    """Seconds until `expected` records are readable on the embedded log."""
    subscription = EmbeddedBus(log_path).subscription(group=f"bench-{time.time_ns()}", topics=[topic])
    await subscription.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < expected and time.perf_counter() - started < deadline_s:
            seen += len(await subscription.poll(timeout=0.2, max_records=5000))
    finally:
        await subscription.stop()
    if seen < expected:
        raise RuntimeError(f"only {seen} of {expected} cases reached the log")
    return time.perf_counter() - started


def run(url: str, log_path: Path, topic: str, total: int, concurrency: int) -> dict[str, float]:
    latencies, case_ids, elapsed = asyncio.run(post_cases(url, total, concurrency))
    drain = asyncio.run(count_on_log(log_path, topic, len(case_ids)))
    return {"cases": len(case_ids), "concurrency": concurrency,
            "accepted_per_s": round(len(case_ids) / elapsed, 1),
            "logged_per_s": round(len(case_ids) / (elapsed + drain), 1), **summary_ms(latencies)}
