"""The serving floor stands for intake's hot route on the same stack: it takes every request the benchmark sends,
checks each body with intake's own schema (a body intake refuses is refused here too), and reports CPU per request
for the server and the clients."""
from __future__ import annotations

from pathlib import Path

import httpx

from deploy.local_stack import ServiceProcess, free_port
from jiesu_simulator.bench import serving_floor


def test_the_serving_floor_answers_every_request_and_validates_each_body_as_intake_does(tmp_path: Path) -> None:
    bare = ServiceProcess("jiesu_simulator.bench.serving_floor", {"JIESU_PORT": str(free_port())},
                          tmp_path / "serving-floor.log")
    try:
        bare.wait_healthy()
        measured = serving_floor.measure(bare.url, bare.process.pid, cases=300, concurrency=8, warm_up=50)
        refused = httpx.post(f"{bare.url}/cases", json={"text": "", "channel": "hotline",
                                                        "place": {"district": "Dongcheng", "street": "Jingshan"}})
        unknown_field = httpx.post(f"{bare.url}/cases", json={"text": "路灯不亮", "colour": "red",
                                                              "place": {"district": "Dongcheng", "street": "Jingshan"}})
        accepted = httpx.post(f"{bare.url}/cases", json={"text": "路灯不亮",
                                                         "place": {"district": "Dongcheng", "street": "Jingshan"}})
    finally:
        bare.stop()

    assert measured["cases"] == 300 and measured["failed_requests"] == 0
    assert measured["cpu_ms_per_request_server"] > 0 and measured["cpu_ms_per_request_clients"] > 0
    assert refused.status_code == 422 and unknown_field.status_code == 422  # empty text; a field intake forbids
    assert accepted.status_code == 201 and accepted.json()["case_id"]
