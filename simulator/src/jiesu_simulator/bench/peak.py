"""`python -m jiesu_simulator.bench.peak OUT MODULE ARGS…`: run MODULE as __main__, then write this
process's peak resident memory (VmHWM, in KiB) to OUT.

Why not the parent's wait4/ru_maxrss: Linux carries the parent's high-water mark into the child
(exec folds the pre-exec image into it), so a child started by a big benchmark process would report
the benchmark's memory. VmHWM belongs to the process's own address space, which exec replaces.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path


def peak_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main() -> None:
    out, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        Path(out).write_text(str(peak_kib()))


if __name__ == "__main__":
    main()
