"""The research export (all four formats: JSONL, Parquet, XES, OCEL) against its goal of 100,000 events/s,
on districts of given sizes: each run in a child process, timed by the wall clock and by the CPU time of
the child and its own worker process (the fairer number on a shared machine), with the peak memory of the
two together (sampled). Medians of the runs.

The child imports with a byte-code cache, warmed before the first run, as an installed package has one:
where PYTHONDONTWRITEBYTECODE is set (here), every run would otherwise compile jieba's tables, pandas and
the rest again — about 3 CPU-s that an installed export does not spend."""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_PER_S = 100_000
FORMATS = "jsonl,parquet,xes,ocel"
_SAMPLE_S = 0.2


def _pss_kib(pid: int) -> int:
    """The process's proportional share of memory: a page it shares with its forked worker counts half."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return [int(c) for c in children.read().split()]
    except OSError:
        return []


def _sample_tree_peak(pid: int, done: threading.Event, peak: list[int]) -> None:
    """The export and its worker process together: their proportional set sizes summed (the memory they
    hold between them, shared pages once), at its highest sample."""
    while not done.wait(_SAMPLE_S):
        peak[0] = max(peak[0], _pss_kib(pid) + sum(_pss_kib(c) for c in _children(pid)))


def _compiled_env(cache: Path) -> dict[str, str]:
    """The environment for the child: byte-code cached in `cache`, compiled once here before the timed runs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run([sys.executable, "-c", "import pandas, pyarrow.parquet, jiesu_audit.replay.cli, "
                    "jiesu_audit.replay.sources"], env=env, check=True)
    return env


def _one_run(log: Path, topic: str, out: Path, env: dict[str, str]) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds, the export's own peak RSS MiB, peak memory of it and its worker MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    args = ["replay", "--embedded", str(log), "--topic", topic, "--out", str(out), "--formats", FORMATS,
            "--no-progress"]
    with tempfile.NamedTemporaryFile(prefix="jiesu-peak-") as own_peak:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "jiesu_simulator.bench.peak", own_peak.name, "jiesu_audit",
                                  *args], stdout=subprocess.DEVNULL, env=env)
        done, tree_peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_tree_peak, args=(child.pid, done, tree_peak), daemon=True)
        sampler.start()
        if child.wait() != 0:
            raise RuntimeError(f"the export failed (exit code {child.returncode})")
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        own = int(Path(own_peak.name).read_text()) / 1024
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker is the child's child, waited for: counted
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, own, tree_peak[0] / 1024


def measure_log(log: Path, topic: str, events: int, cases: int, state: Path, runs: int) -> dict:
    walls, cpus, peaks, tree_peaks = [], [], [], []
    env = _compiled_env(state / "pycache")
    for run in range(runs):
        wall, cpu, peak, tree_peak = _one_run(log, topic, state / f"export-{run}", env)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        tree_peaks.append(tree_peak)
    sizes = {p.name: round(p.stat().st_size / 2**20) for p in (state / "export-0").glob("events.*")}
    per_s, per_cpu_s = events / statistics.median(walls), events / statistics.median(cpus)
    return {"benchmark": "export, all four formats (embedded)", "cases": cases, "events": events, "runs": runs, "imports": "byte-code cached",
            "median_s": round(statistics.median(walls), 1), "median_events_per_s": round(per_s),
            "median_events_per_cpu_s": round(per_cpu_s), "goal_per_s": GOAL_PER_S,
            "vs_goal": f"{'met' if per_s >= GOAL_PER_S else 'missed'} ({per_s / GOAL_PER_S:.2f}×)",
            "walls_s": [round(w, 1) for w in walls], "cpus_s": [round(c, 1) for c in cpus],
            "peak_rss_mib": round(max(peaks), 1), "peak_pss_with_worker_mib": round(max(tree_peaks), 1),
            "file_mib": sizes}
