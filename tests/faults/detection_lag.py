"""Breach detection lag (deadline -> sla.breached on the log) under steady load, for BENCHMARKS.md:

    KAFKA_BOOTSTRAP_SERVERS=… JIESU_TEST_POSTGRES_URL=… .venv/bin/python -m tests.faults.detection_lag 25 20

runs dispatch and the gateway as processes on the broker, appends `rate` cases/s for `seconds` (as intake
would), departments answer as in the fault suite (housing late: a breach per property case), and prints
p50/p99 of the lag and whether every verdict obeyed the rule."""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.faults.stack import Stack
from tests.faults.verdicts import LogReader


async def measure(rate: float, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(bootstrap=os.environ["KAFKA_BOOTSTRAP_SERVERS"], state=Path(state))
        reader = LogReader(stack.bootstrap, stack.topic, f"lag-reader-{stack.unique}")
        try:
            stack.up("dispatch", "gateway")
            await reader.start()
            cases = await stack.load(int(rate * seconds), rate)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                verdicts = await reader.catch_up()
                offered = {case for case, _, _ in verdicts.offered.values()}
                late = [t for t in verdicts.offered if verdicts.late(t)]
                if set(cases) <= offered and all(t in verdicts.breaches for t in late) and \
                        all(t in verdicts.responded for t in verdicts.offered):
                    break
                await asyncio.sleep(1.0)
            p50, p99 = verdicts.detection_lag()
            problems = {k: len(v) for k, v in verdicts.problems().items() if v}
            print(f"{rate:g} cases/s for {seconds:g} s: {len(cases)} cases, {len(verdicts.offered)} tasks, "
                  f"{len(verdicts.breaches)} breaches; detection lag p50 {p50:.2f} s, p99 {p99:.2f} s; "
                  f"problems: {problems or 'none'}")
        finally:
            await reader.stop()
            stack.down()


if __name__ == "__main__":
    asyncio.run(measure(float(sys.argv[1]), float(sys.argv[2])))
