"""Intake: cases per second accepted (201) and durably on the log, with latency percentiles."""
from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from jiesu_shared.bus.embedded import EmbeddedBus

from jiesu_simulator.bench.http_client import HttpError, KeepAliveConnection
from jiesu_simulator.bench.stats import summary_ms
from jiesu_simulator.live import new_request
from jiesu_simulator.scenario import default_scenario


def requests(total: int, seed: int = 1) -> list[dict]:
    """Citizens' requests as the district sends them: the scenario's subjects, places and vague ones."""
    scenario, rng = default_scenario(), random.Random(seed)
    return [new_request(scenario, rng) for _ in range(total)]


async def post_cases(url: str, token: str, total: int, concurrency: int) -> tuple[list[float], list[str], int, float]:
    """Closed loop: `concurrency` clients each send their next case when the last one is answered.
    A request that fails (an error answer or a broken connection) is counted, not retried."""
    latencies: list[float] = []
    case_ids: list[str] = []
    failed = 0
    bodies = iter(requests(total))

    async def worker() -> None:
        nonlocal failed
        connection = KeepAliveConnection(url, token)
        try:
            for body in bodies:
                started = time.perf_counter()
                try:
                    answer = await connection.post_json("/cases", body)
                except HttpError:
                    failed += 1
                    continue
                latencies.append(time.perf_counter() - started)
                case_ids.append(answer["case_id"])
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, case_ids, failed, time.perf_counter() - started


async def count_on_log(log_path: Path, topic: str, case_ids: list[str], deadline_s: float = 120) -> float:
    """Seconds until every accepted case's `case.received` is readable on the embedded log (nothing lost)."""
    subscription = EmbeddedBus(log_path).subscription(group=f"bench-{time.time_ns()}", topics=[topic])
    await subscription.start()
    missing, started = set(case_ids), time.perf_counter()
    try:
        while missing and time.perf_counter() - started < deadline_s:
            for record in await subscription.poll(timeout=0.2, max_records=5000):
                if record.header("ce_type") == b"case.received.v1":
                    missing.discard((record.key or b"").decode())
    finally:
        await subscription.stop()
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(case_ids)} accepted cases never reached the log")
    return time.perf_counter() - started


def run(url: str, token: str, log_path: Path, topic: str, total: int, concurrency: int) -> dict[str, float]:
    latencies, case_ids, failed, elapsed = asyncio.run(post_cases(url, token, total, concurrency))
    drain = asyncio.run(count_on_log(log_path, topic, case_ids))
    return {"cases": len(case_ids), "failed_requests": failed, "concurrency": concurrency,
            "accepted_per_s": round(len(case_ids) / elapsed, 1),
            "logged_per_s": round(len(case_ids) / (elapsed + drain), 1), **summary_ms(latencies)}
