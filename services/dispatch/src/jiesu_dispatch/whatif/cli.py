"""`python -m jiesu_dispatch whatif --log LOG --routing NEW.json [--from D] [--to D] [--json OUT]`."""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from jiesu_shared.events.logfile import read_log

from jiesu_dispatch.domain.routing import RoutingTable
from jiesu_dispatch.whatif.compare import what_if
from jiesu_dispatch.whatif.history import fold
from jiesu_dispatch.whatif.table import render


def moment(text: str) -> datetime:
    """An ISO date or date-time; without an offset it is UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jiesu-dispatch whatif", description=(
        "Replay the cases received in a period under another routing table, with dispatch's own routing "
        "code, and report per department and street the offers that would have gone elsewhere, the returns "
        "(退单) avoided and the load that moves."))
    p.add_argument("--log", type=Path, required=True,
                   help="the embedded log (SQLite file) or a JSON Lines export of CloudEvents (events.jsonl)")
    p.add_argument("--topic", default="jiesu.case-events", help="the topic, for the embedded log")
    p.add_argument("--routing", type=Path, required=True,
                   help="the routing table to try (JSON, in the form of rules/default_routing.json)")
    p.add_argument("--from", dest="start", type=moment,
                   help="cases received at or after (ISO date/time, UTC if no offset)")
    p.add_argument("--to", dest="end", type=moment, help="cases received before (ISO date/time)")
    p.add_argument("--json", type=Path, help="also write the report as JSON to this file ('-' for stdout only)")
    return p


def run(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    table = RoutingTable.from_dict(json.loads(args.routing.read_text(encoding="utf-8")))
    problems: list[dict[str, str]] = []

    def events() -> Iterator:  # type: ignore[type-arg]
        for record in read_log(args.log, args.topic):
            if record.event is None:
                problems.append({"position": record.position, "problem": record.problem or ""})
            else:
                yield record.event

    cases = [c for c in fold(events()).values()
             if (args.start is None or c.received_at >= args.start) and (args.end is None or c.received_at < args.end)]
    report = what_if(cases, table)
    report["period"] = {"from": args.start.isoformat() if args.start else None,
                        "to": args.end.isoformat() if args.end else None}
    report["problems"] = problems
    return report


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        report = run(args)
    except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
        print(f"whatif failed: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json and str(args.json) == "-":
        print(text)
        return 0
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(render(report))
    return 0
