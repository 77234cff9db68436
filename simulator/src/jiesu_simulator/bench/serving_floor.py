"""The serving stack's floor for intake's hot route: `POST /cases` with intake's own request schema on FastAPI
and uvicorn (uvloop and httptools, as every service runs), the body validated and a case id answered, nothing
else done. Driven by the intake benchmark's own closed-loop clients, it says how much of intake's CPU per case
any design on this stack must spend on HTTP, and how much the load generator spends beside it.

`python -m jiesu_simulator.bench.serving_floor` serves it on JIESU_PORT (started as a service is, by
`deploy.local_stack.ServiceProcess`); `measure` drives it."""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import orjson
import uvicorn
from fastapi import FastAPI, Response, status

from jiesu_intake.entrypoints.schemas import CaseCreate

from jiesu_simulator.bench.intake_load import post_cases
from jiesu_simulator.bench.stats import cpu_seconds

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/cases", status_code=status.HTTP_201_CREATED)
async def accept(body: CaseCreate) -> Response:  # answered as intake answers: one serialisation, no re-validation
    return Response(orjson.dumps({"case_id": str(uuid.uuid4()), "channel": body.channel}),
                    status.HTTP_201_CREATED, media_type="application/json")


def measure(url: str, server_pid: int, cases: int, concurrency: int, warm_up: int = 1_000) -> dict[str, float]:
    """`cases` requests from `concurrency` clients after a warm-up: the rate, and the CPU per request of the
    server (from /proc) and of this process's clients."""
    asyncio.run(post_cases(url, "none", warm_up, concurrency))
    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    _, answered, failed, elapsed = asyncio.run(post_cases(url, "none", cases, concurrency))
    server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    return {"cases": len(answered), "failed_requests": failed, "concurrency": concurrency,
            "answered_per_s": round(len(answered) / elapsed, 1),
            "cpu_ms_per_request_server": round(server_cpu * 1000 / max(len(answered), 1), 3),
            "cpu_ms_per_request_clients": round(client_cpu * 1000 / max(len(answered), 1), 3)}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["JIESU_PORT"]), log_level="warning", access_log=False)
