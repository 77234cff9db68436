"""Where a case's time goes between intake's answer and the department's webhook, hop by hop, read from
the services' span files: each consumer span carries when its event was appended to the log
(`messaging.jiesu.appended_at_ms`) and starts when the service took it; the webhook span starts when the
gateway began the attempt. All processes are on one machine, so their clocks agree."""
from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path

HOPS = ("request_to_accept", "accept_to_relay_publish", "relay_publish_to_dispatch_consume",
        "dispatch_consume_to_publish", "dispatch_publish_to_gateway_consume", "gateway_consume_to_webhook_sent",
        "webhook_sent_to_delivered")


def read_spans(traces: Path, case_ids: set[str]) -> dict[str, dict[str, float]]:
    """Per case, the epoch seconds of the moments the spans show (the earliest, where a case has several)."""
    moments: dict[str, dict[str, float]] = {}
    for line in _lines(traces.glob("*.jsonl")):
        span = json.loads(line)
        attributes = span.get("attributes") or {}
        case_id = attributes.get("jiesu.case_id")
        if case_id not in case_ids or "start_ns" not in span:
            continue
        for name, at in _moments(span, attributes):
            seen = moments.setdefault(case_id, {})
            seen[name] = min(seen.get(name, at), at)
    return moments


def _moments(span: dict, attributes: dict) -> Iterable[tuple[str, float]]:
    start = span["start_ns"] / 1e9
    appended = attributes.get("messaging.jiesu.appended_at_ms")
    if span["name"].startswith("consume case.received") and span["service"] == "jiesu-dispatch":
        yield "dispatch_consume", start
        if appended is not None:
            yield "relay_publish", appended / 1000
    elif span["name"].startswith("consume task.offered") and span["service"] == "jiesu-gateway":
        yield "gateway_consume", start
        if appended is not None:
            yield "dispatch_publish", appended / 1000
    elif span["name"] == "webhook task.offered":
        yield "webhook_sent", start


def _lines(paths: Iterable[Path]) -> Iterable[str]:
    for path in paths:
        with path.open(encoding="utf-8") as spans:
            yield from (line for line in spans if line.strip())


def breakdown(requested: dict[str, float], accepted: dict[str, float], delivered: dict[str, float],
              moments: dict[str, dict[str, float]]) -> dict[str, float]:
    """The median of each hop (ms) over the cases whose every moment is known, and how many those are."""
    order = ("requested", "accepted", "relay_publish", "dispatch_consume", "dispatch_publish", "gateway_consume",
             "webhook_sent", "delivered")
    per_hop: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for case_id, seen in moments.items():
        times = {**seen, "requested": requested.get(case_id), "accepted": accepted.get(case_id),
                 "delivered": delivered.get(case_id)}
        if any(times.get(name) is None for name in order):
            continue
        for hop, (a, b) in zip(HOPS, zip(order, order[1:])):
            per_hop[hop].append(times[b] - times[a])
    complete = len(per_hop[HOPS[0]])
    return {"cases_traced": complete,
            **{f"{hop}_p50_ms": round(statistics.median(v) * 1000, 1) if v else float("nan")
               for hop, v in per_hop.items()}}
