"""jiesu-simulator offline --cases N (--out FILE | --embedded PATH | --kafka SERVERS) [--topic T] [--seed S]
[--no-signal-plants]"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from jiesu_simulator.offline import Truth, generate
from jiesu_simulator.scenario import default_scenario
from jiesu_simulator.sinks import publish, write_jsonl


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiesu-simulator", description="Jiesu's district simulator")
    modes = parser.add_subparsers(dest="mode", required=True)
    offline = modes.add_parser("offline", help="write a synthetic, lawful event log")
    offline.add_argument("--cases", type=int, required=True)
    offline.add_argument("--seed", type=int, default=1)
    offline.add_argument("--cases-per-day", type=float, default=500.0)
    target = offline.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="JSON Lines file of structured CloudEvents")
    target.add_argument("--embedded", type=Path, help="an embedded log file")
    target.add_argument("--kafka", help="Kafka bootstrap servers")
    offline.add_argument("--topic", default="jiesu.case-events")
    offline.add_argument("--no-signal-plants", dest="signal_plants", action="store_false",
                         help="plant no webhook failures, duplicates or progress reports (the tests' district)")
    return parser


def run_offline(args: argparse.Namespace) -> tuple[Truth, dict[str, Any]]:
    """Write the log; return the truth it planted and the report to print. Only counters are kept (no list
    per case or per return), so a district of a million cases is written in bounded memory."""
    scenario = default_scenario(plant_signals=args.signal_plants)
    truth = Truth(planted=scenario.planted)
    events = generate(cases=args.cases, seed=args.seed, scenario=scenario, cases_per_day=args.cases_per_day,
                      truth=truth)
    started = time.perf_counter()
    if args.out:
        count = write_jsonl(events, args.out)
    else:
        from jiesu_shared.bus.embedded import EmbeddedBus
        from jiesu_shared.bus.kafka import KafkaBus

        bus = EmbeddedBus(args.embedded) if args.embedded else KafkaBus(args.kafka, client_id="jiesu-simulator")
        count = publish(events, bus, args.topic)
    seconds = time.perf_counter() - started
    return truth, {"cases": truth.cases, "events": count, "seconds": round(seconds, 2),
                   "outcomes": dict(truth.outcomes), "returns_by_department": dict(truth.returns_by_department),
                   "notification_failures": dict(truth.notification_failures),
                   "duplicates_linked": truth.duplicates_linked, "progress_reports": dict(truth.progress_reports),
                   "planted": truth.planted}


def main() -> None:
    _, report = run_offline(parser().parse_args())
    print(json.dumps(report, ensure_ascii=False, indent=2))

if __name__ == "__main__":
    main()
