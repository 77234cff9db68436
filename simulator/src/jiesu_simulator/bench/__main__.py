"""python -m jiesu_simulator.bench [intake] [e2e] [replay] [scale] [audit] [board] [export] [floor] — prints
measured numbers: a JSON row each as it is measured, then the same rows as tables."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))  # run from the repository root: deploy/ holds the process launcher
from deploy.local_stack import ServiceProcess, free_port, start_services, stop_all  # noqa: E402

from jiesu_simulator.bench import (audit_scale, board_scale, end_to_end, export, floor, intake_load, replay,  # noqa: E402
                                   serving_floor)
from jiesu_simulator.bench.stats import cpu_ms_per_case, cpu_snapshot, rss_mib  # noqa: E402
from jiesu_simulator.bench.table import tables  # noqa: E402


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores ({cpu})"


def bench_staff() -> tuple[str, dict[str, str]]:
    """A token that records cases and reads timelines, and the JIESU_STAFF that admits it."""
    token = secrets.token_urlsafe(16)
    return token, {"JIESU_STAFF": json.dumps([{"id": "bench", "token": token, "roles": ["intake", "coordinator"]}])}


def bench_intake(args: argparse.Namespace) -> list[dict]:
    """Intake alone (its own ceiling), then with the other three services consuming every case on the
    same two cores (what it keeps up with in a whole system)."""
    rows = []
    for running in (["intake"], ["intake", "dispatch", "gateway", "audit"]):
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        token, staff = bench_staff()
        env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"),
               "JIESU_ADMIN_TOKEN": secrets.token_urlsafe(16), "JIESU_LOG_LEVEL": "WARNING", **staff}
        services = start_services(env, state, only=running)
        label = "intake alone" if len(running) == 1 else "intake, all four services running"
        try:
            pids = {name: p.process.pid for name, p in services.items()}
            for concurrency in args.concurrency:
                cpu_before = cpu_snapshot(pids)
                result = intake_load.run(services["intake"].url, token, state / "log.sqlite3", "jiesu.case-events",
                                         args.cases, concurrency)
                rows.append({"benchmark": f"{label} (embedded log)", **result,
                             **cpu_ms_per_case(pids, cpu_before, result["cases"])})
            rows.append({"benchmark": f"peak RSS MiB ({label})",
                         **{name: round(rss_mib(p.process.pid), 1) for name, p in services.items()}})
        finally:
            stop_all(services)
            shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_end_to_end(args: argparse.Namespace) -> list[dict]:
    rows = []
    for bus in args.bus:
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        admin_token = secrets.token_urlsafe(16)
        token, staff = bench_staff()
        env = {**staff, "JIESU_BUS": bus, "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"),
               "JIESU_TOPIC": f"bench.{state.name}", "JIESU_CONSUMER_GROUP_PREFIX": state.name,
               "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
               "JIESU_LOG_LEVEL": "WARNING"}
        services = start_services(env, state, health_timeout=300)  # four imports at once on a busy machine
        try:
            urls = {name: p.url for name, p in services.items()}
            pids = {name: p.process.pid for name, p in services.items()}
            rows += asyncio.run(end_to_end.run(urls, pids, admin_token, token, args.rates, args.seconds,
                                               state / "traces", bus, state / "audit.sqlite3"))
            rows.append({"benchmark": f"peak RSS MiB ({bus})",
                         **{name: round(rss_mib(p.process.pid), 1) for name, p in services.items()}})
        finally:
            stop_all(services)
            shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_replay(args: argparse.Namespace) -> list[dict]:
    state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
    topic = f"bench.replay.{state.name}"
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    rows = []
    try:
        count = replay.prepare(args.events, state / "log.sqlite3", kafka, topic)
        sources = {"embedded": ["embedded", str(state / "log.sqlite3"), topic]}
        if kafka:
            sources["kafka"] = ["kafka", kafka, topic]
        for name, source in sources.items():
            if name == "kafka":
                raw = asyncio.run(replay.raw_kafka(kafka, topic, decode=False))
                decoded = asyncio.run(replay.raw_kafka(kafka, topic, decode=True))
            else:
                raw = asyncio.run(replay.raw_embedded(state / "log.sqlite3", topic, False))
                decoded = asyncio.run(replay.raw_embedded(state / "log.sqlite3", topic, True))
                through_port = asyncio.run(replay.subscription_embedded(state / "log.sqlite3", topic, count))
            rebuilt, rebuild_peak = replay.timeline_rebuild(source)
            exported = replay.export_in_child(source, state / f"export-{name}", "jsonl,parquet,xes,ocel")
            ceiling = raw[0] / raw[1]
            rebuild_rate = rebuilt["events"] / rebuilt["seconds"]
            consumed = {} if name == "kafka" else {
                "consumer_read_per_s": round(through_port[0] / through_port[1])}  # the services' bus port
            rows.append({"benchmark": f"replay ({name})", "events": count, **consumed,
                         "raw_read_per_s": round(ceiling), "decode_per_s": round(decoded[0] / decoded[1]),
                         "timelines_rebuilt_per_s": round(rebuild_rate),
                         "rebuild_vs_raw": round(rebuild_rate / ceiling, 3),
                         "rebuild_peak_rss_mib": round(rebuild_peak, 1),
                         "full_export_per_s": round(count / exported[0]), "export_peak_rss_mib": round(exported[1], 1)})
    finally:
        shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_scale(args: argparse.Namespace) -> list[dict]:
    """Each size: the district's log on the embedded log, every timeline rebuilt, XES and OCEL exported —
    each in a child process, so its peak memory is its own and can be compared across sizes."""
    rows = []
    for cases in args.scale_cases:
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        topic, log = "jiesu.case-events", state / "log.sqlite3"
        try:
            events = audit_scale.district_log(cases, log, args.district_logs,
                                              lambda n, path: replay.prepare_cases(n, path, None, topic))
            source = ["embedded", str(log), topic]
            rebuilt, rebuild_peak = replay.timeline_rebuild(source)
            seconds, export_peak = replay.export_in_child(source, state / "export", "xes,ocel")
            sizes = {p.name: round(p.stat().st_size / 2**20) for p in (state / "export").glob("events.*")}
            rows.append({"benchmark": "scale (embedded)", "cases": cases, "events": events,
                         "rebuild_per_s": round(rebuilt["events"] / rebuilt["seconds"]),
                         "rebuild_peak_rss_mib": round(rebuild_peak, 1), "xes_ocel_export_s": round(seconds, 1),
                         "xes_ocel_export_per_s": round(events / seconds),
                         "export_peak_rss_mib": round(export_peak, 1), "file_mib": sizes})
        finally:
            shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_export(args: argparse.Namespace) -> list[dict]:
    """The full research export at each district size, `--export-runs` times: medians against the goal."""
    rows = []
    for cases in args.export_cases:
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        topic, log = "jiesu.case-events", state / "log.sqlite3"
        try:  # with --district-logs, the district's log is kept and reused (an export only reads it)
            events = audit_scale.district_log(cases, log, args.district_logs,
                                              lambda n, path: replay.prepare_cases(n, path, None, topic))
            rows.append(export.measure_log(log, topic, events, cases, state, args.export_runs))
        finally:
            shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_floor(args: argparse.Namespace) -> list[dict]:
    """What the goals leave room for: beside the intake, audit and export benchmarks' rows, how much of their CPU
    any design must spend."""
    return bench_serving_floor(args) + bench_district_floors(args)


def bench_serving_floor(args: argparse.Namespace) -> list[dict]:
    """The least intake's hot route costs on the serving stack: `--cases` requests at each `--concurrency`."""
    rows = []
    state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
    bare = ServiceProcess("jiesu_simulator.bench.serving_floor", {"JIESU_PORT": str(free_port())},
                          state / "serving-floor.log")
    try:
        bare.wait_healthy()
        for concurrency in args.concurrency:
            rows.append({"benchmark": "serving floor: intake's POST /cases validated and answered, nothing done",
                         **serving_floor.measure(bare.url, bare.process.pid, args.cases, concurrency)})
    finally:
        bare.stop()
        shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_district_floors(args: argparse.Namespace) -> list[dict]:
    """The least the catch-up's and the export's unskippable steps cost, on the district logs of `--floor-cases`."""
    rows = []
    for cases in args.floor_cases:
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        topic, log = "jiesu.case-events", state / "log.sqlite3"
        try:
            audit_scale.district_log(cases, log, args.district_logs,
                                     lambda n, path: replay.prepare_cases(n, path, None, topic))
            rows.append({"benchmark": "catch-up floor: read, decode, check, one timeline row (no fold, no facts)",
                         "cases": cases, **floor.catch_up_floor(log, topic), "goal_per_s": 50_000})
            rows.append({"benchmark": "export floor: read, decode, de-identify, one JSON line (one format of four)",
                         "cases": cases, **floor.export_floor(log, topic), "goal_per_s": 100_000})
        finally:
            shutil.rmtree(state, ignore_errors=True)
    return rows


def bench_audit(args: argparse.Namespace) -> list[dict]:
    """Each size: a fresh audit process catches up on the district's embedded log from offset 0 (bulk path,
    SQLite), then every analytics endpoint is asked `--calls` times; its peak RSS covers both. With
    `--audit-dbs`, the caught-up database is kept, and a later run answers from it (latencies only)."""
    rows = []
    for cases in args.scale_cases:
        state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
        topic, log = "jiesu.case-events", state / "log.sqlite3"
        kept_audit = args.audit_dbs / f"audit-{cases}.sqlite3" if args.audit_dbs else None
        reused, caught_up = kept_audit is not None and kept_audit.exists(), False
        try:
            events = audit_scale.district_log(cases, log, args.district_logs,
                                              lambda n, path: replay.prepare_cases(n, path, None, topic))
            if reused:
                _move_database(kept_audit, state / "audit.sqlite3")
            else:
                audit_scale.forget_consumers(log)
            rows.append({"benchmark": "audit catch-up (embedded, SQLite)", "cases": cases,
                         **_audit_row(state, events, args)})
            caught_up = True
        finally:
            if kept_audit is not None and (reused or caught_up):  # never a half caught-up one
                kept_audit.parent.mkdir(parents=True, exist_ok=True)
                _move_database(state / "audit.sqlite3", kept_audit)
            shutil.rmtree(state, ignore_errors=True)
    return rows


def _move_database(source: Path, target: Path) -> None:
    """A SQLite file with its write-ahead log, if one was left (it may hold committed transactions)."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            Path(f"{source}{suffix}").rename(f"{target}{suffix}")


def _audit_row(state: Path, events: int, args: argparse.Namespace) -> dict:
    token = secrets.token_urlsafe(16)
    env = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"),
           "JIESU_LOG_LEVEL": "WARNING",
           "JIESU_STAFF": json.dumps([{"id": "bench", "token": token, "roles": ["researcher"]}])}
    reused = (state / "audit.sqlite3").exists()
    # Not start_services: its one-second health probes can all time out while the catch-up holds a loaded machine.
    audit = ServiceProcess("jiesu_audit", {**env, "JIESU_PORT": str(free_port()),
                                           "JIESU_DATABASE_URL": f"sqlite:///{state}/audit.sqlite3"},
                           state / "logs" / "audit.log")
    try:
        return audit_scale.measure(audit, state / "audit.sqlite3", events, token, args.calls,
                                   timeout=max(1800, events / 200), reused=reused)  # ≥ 200 events/s, loaded
    finally:
        audit.stop()


def bench_board(args: argparse.Namespace) -> list[dict]:
    """The coordinators' board and the console's pages with `--board-cases` cases in dispatch (seeded in bulk),
    the four services and the console running as processes on the embedded log."""
    state = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
    try:
        label = f"board, {args.board_cases:,} cases (embedded, SQLite)"
        return [{"benchmark": label, **row} for row in board_scale.run(state, args.board_cases, args.board_calls)]
    finally:
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m jiesu_simulator.bench")
    parser.add_argument("which", nargs="*", default=["intake", "e2e", "replay", "scale"],
                        choices=["intake", "e2e", "replay", "scale", "audit", "board", "export", "floor"])
    parser.add_argument("--events", type=int, default=200_000, help="log size for the replay benchmark")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--scale-cases", type=int, nargs="+", default=[10_000, 100_000],
                        help="district sizes (cases) for the scale benchmark: rebuild and XES/OCEL export")
    parser.add_argument("--export-cases", type=int, nargs="+", default=[10_000, 100_000],
                        help="district sizes (cases) for the export benchmark (all four formats)")
    parser.add_argument("--export-runs", type=int, default=3, help="runs of each export size (medians)")
    parser.add_argument("--floor-cases", type=int, nargs="+", default=[10_000],
                        help="district sizes (cases) for the floor benchmark (the catch-up's and the export's)")
    parser.add_argument("--calls", type=int, default=20, help="calls of each analytics endpoint (audit)")
    parser.add_argument("--board-cases", type=int, default=100_000, help="cases in dispatch for the board benchmark")
    parser.add_argument("--board-calls", type=int, default=40, help="requests of each page (board)")
    parser.add_argument("--district-logs", type=Path, default=None,
                        help="keep each district's log here and reuse it in later runs (scale, audit, export)")
    parser.add_argument("--audit-dbs", type=Path, default=None,
                        help="keep each caught-up audit database here; a later run answers from it (audit)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rates", type=float, nargs="+", default=[25, 50, 75, 100], help="offered cases/s")
    parser.add_argument("--seconds", type=float, default=20, help="how long each rate is offered")
    parser.add_argument("--bus", nargs="+", default=["embedded", "kafka"], choices=["embedded", "kafka"])
    args = parser.parse_args()
    print(f"# machine: {machine()}")
    rows: list[dict] = []
    for which in args.which:
        for row in {"intake": bench_intake, "e2e": bench_end_to_end, "replay": bench_replay,
                     "scale": bench_scale, "audit": bench_audit, "board": bench_board, "export": bench_export,
                     "floor": bench_floor}[which](args):
            print(json.dumps(row, ensure_ascii=False), flush=True)  # as measured, for the record
            rows.append(row)
    print("\n" + tables(rows))


if __name__ == "__main__":
    main()
