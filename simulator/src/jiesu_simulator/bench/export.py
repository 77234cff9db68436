"""The research export (all four formats: JSONL, Parquet, XES, OCEL) against its goal of 100,000 events/s,
on districts of given sizes: each run in a child process, timed by the wall clock and by the child's own
CPU time (the fairer number on a shared machine), with the child's peak memory. Medians of the runs."""
from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path

from jiesu_simulator.bench.replay import prepare_cases, run_child

GOAL_PER_S = 100_000
FORMATS = "jsonl,parquet,xes,ocel"


def _one_run(log: Path, topic: str, out: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one export in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _, peak = run_child("jiesu_audit", ["replay", "--embedded", str(log), "--topic", topic, "--out", str(out),
                                        "--formats", FORMATS, "--no-progress"])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def measure(cases: int, state: Path, runs: int) -> dict:
    topic, log = "jiesu.case-events", state / "log.sqlite3"
    events = prepare_cases(cases, log, None, topic)
    walls, cpus, peaks = [], [], []
    for run in range(runs):
        wall, cpu, peak = _one_run(log, topic, state / f"export-{run}")
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
    sizes = {p.name: round(p.stat().st_size / 2**20) for p in (state / "export-0").glob("events.*")}
    per_s, per_cpu_s = events / statistics.median(walls), events / statistics.median(cpus)
    return {"benchmark": "export, all four formats (embedded)", "cases": cases, "events": events, "runs": runs,
            "median_s": round(statistics.median(walls), 1), "median_events_per_s": round(per_s),
            "median_events_per_cpu_s": round(per_cpu_s), "goal_per_s": GOAL_PER_S,
            "vs_goal": f"{'met' if per_s >= GOAL_PER_S else 'missed'} ({per_s / GOAL_PER_S:.2f}×)",
            "peak_rss_mib": round(max(peaks), 1), "file_mib": sizes}
