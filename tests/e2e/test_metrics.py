"""/metrics as an operator's scraper sees it, on the four services as processes on a real Kafka broker:
dispatch's consumer lag rises while it is held up under load and falls back to zero once it catches up;
a record it cannot decode is counted as a dead letter; the other figures are there to be graphed."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client.parser import text_string_to_metric_families

from jiesu_shared.logs import log_handler

from deploy.local_stack import SERVICES, ServiceProcess, free_port, stop_all
from tests.support.staff import as_role, staff_env
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

CASE = {"text": "小区路灯不亮 the street lights in the compound are out", "channel": "hotline",
        "category": "property_management", "place": {"district": "Dongcheng", "street": "Jingshan"}}
LOAD = 200  # cases posted while dispatch is held up


def samples(url: str) -> dict[tuple[str, tuple], float]:
    """One scrape: (sample name, sorted labels) -> value."""
    text = httpx.get(url, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(scrape: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in scrape.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path, unique: str) -> Iterator[dict[str, ServiceProcess]]:
    ports = {name: free_port() for name in SERVICES}
    common = {"JIESU_BUS": "kafka", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "JIESU_TOPIC": f"metrics.{unique}",
              "JIESU_DEAD_LETTER_TOPIC": f"metrics.dlq.{unique}", "JIESU_CONSUMER_GROUP_PREFIX": f"m-{unique}",
              "JIESU_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}", "JIESU_LOG_FORMAT": "json", **staff_env()}
    processes: dict[str, ServiceProcess] = {}
    try:
        for name, module in SERVICES.items():
            metrics_port = free_port()
            processes[name] = ServiceProcess(module, {
                **common, "JIESU_PORT": str(ports[name]), "JIESU_METRICS_PORT": str(metrics_port),
                "JIESU_DATABASE_URL": f"sqlite:///{tmp_path}/{name}.sqlite3"}, tmp_path / "logs" / f"{name}.log")
            METRICS_PORTS[processes[name].process.pid] = metrics_port
        for process in processes.values():
            process.wait_healthy()
        yield processes
    finally:
        stop_all(processes)


METRICS_PORTS: dict[int, int] = {}  # a process's pid -> the port of its /metrics


def metrics_url(process: ServiceProcess) -> str:
    return f"http://127.0.0.1:{METRICS_PORTS[process.process.pid]}/metrics"


def post_cases(intake_url: str, count: int) -> None:
    with httpx.Client(base_url=intake_url, headers=as_role("intake"), timeout=30) as client, \
            ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post("/cases", json=CASE).status_code, range(count)))
    assert answers == [201] * count


def test_lag_rises_under_load_and_falls_back_a_dead_letter_is_counted_and_logs_are_json(
        stack: dict[str, ServiceProcess], kafka_bootstrap: str, unique: str) -> None:
    dispatch, intake = stack["dispatch"], stack["intake"]
    group = f"m-{unique}.dispatch.cases"
    scrape_dispatch = lambda: samples(metrics_url(dispatch))  # noqa: E731
    post_cases(intake.url, 5)
    def caught_up() -> bool:
        scrape = scrape_dispatch()
        partitions = [ls for (n, ls), _v in scrape.items() if n == "jiesu_consumer_lag" and ("group", group) in ls]
        return len(partitions) == 3 and total(scrape, "jiesu_consumer_lag", group=group) == 0  # the topic's 3

    eventually(caught_up, timeout=60, what="dispatch's lag on each partition, all 0 at first")

    os.kill(dispatch.process.pid, signal.SIGSTOP)  # held up (well within its group session), as under a GC pause
    try:
        post_cases(intake.url, LOAD)
        eventually(lambda: total(samples(metrics_url(intake)), "jiesu_outbox_backlog") == 0, timeout=30,
                   what="intake's outbox published")
    finally:
        os.kill(dispatch.process.pid, signal.SIGCONT)
    risen = total(scrape_dispatch(), "jiesu_consumer_lag", group=group)
    assert risen >= LOAD * 0.8, f"dispatch's lag after {LOAD} cases while held up: {risen}"
    started = time.monotonic()
    eventually(lambda: total(scrape_dispatch(), "jiesu_consumer_lag", group=group) == 0, timeout=90,
               interval=0.2, what="dispatch's lag back to 0")
    print(f"dispatch's lag rose to {risen:.0f} events and fell back to 0 in {time.monotonic() - started:.1f} s")
    assert httpx.get(f"{dispatch.url}/ready").json()["lag"] <= 1000

    asyncio.run(_publish_garbage(kafka_bootstrap, f"metrics.{unique}"))
    eventually(lambda: total(scrape_dispatch(), "jiesu_dead_letters_total", group=group) == 1, timeout=30,
               what="the undecodable record counted as dispatch's dead letter")

    after = scrape_dispatch()
    assert total(after, "jiesu_http_request_duration_seconds_count", route="/ready") >= 1
    assert ("jiesu_sla_timers_due", ()) in after and ("jiesu_sla_breach_detection_lag_seconds_count", ()) in after
    assert total(samples(metrics_url(stack["gateway"])), "jiesu_collector_up", collector="webhooks") == 1
    assert total(samples(metrics_url(intake)), "jiesu_http_request_duration_seconds_count",
                 route="/cases", method="POST") == LOAD + 5
    assert_json_lines_with_trace_ids(stack)
    assert_the_dashboard_graphs_what_is_exposed([metrics_url(p) for p in stack.values()])


def assert_the_dashboard_graphs_what_is_exposed(urls: list[str]) -> None:
    """Every series deploy/grafana's dashboard asks for is one the services expose."""
    families, sample_names = set(), set()
    for url in urls:
        for family in text_string_to_metric_families(httpx.get(url, timeout=10).text):
            families.add(family.name)
            sample_names |= {s.name for s in family.samples}
    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy/grafana/jiesu-dashboard.json").read_text())
    asked = {name for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"jiesu_[a-z_]+", target["expr"])}
    missing = {n for n in asked if n not in sample_names and re.sub(r"_(bucket|sum|count|total)$", "", n) not in families}
    assert not missing, f"the dashboard graphs series no service exposes: {missing}"


async def _publish_garbage(bootstrap: str, topic: str) -> None:
    """A record that claims to be a case.received but is no CloudEvent: dispatch must dead-letter it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=b"case-garbage", value=b"\xff not json",
                                     headers=[("ce_type", b"case.received.v1")])
    finally:
        await producer.stop()


def assert_json_lines_with_trace_ids(stack: dict[str, ServiceProcess]) -> None:
    """JIESU_LOG_FORMAT=json: every line of every service one JSON object, each with the trace fields."""
    for process in stack.values():
        lines = [line for line in process.log_path.read_text().splitlines() if line.strip()]
        assert lines, process.module
        for line in lines:
            record = json.loads(line)  # every line is one JSON object
            assert {"time", "level", "logger", "message", "trace_id", "service"} <= record.keys(), line


def test_a_json_line_written_inside_a_span_names_its_trace() -> None:
    provider = TracerProvider()
    out = io.StringIO()
    logger = logging.getLogger("jiesu.test.json")
    logger.addHandler(log_handler("intake", out, as_json=True))
    logger.propagate = False
    with provider.get_tracer("test").start_as_current_span("request") as span:
        logger.warning("inside")
    logger.warning("outside")
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert inside["service"] == "intake" and inside["message"] == "inside"
    assert outside["trace_id"] is None
