"""Audit's memory goal (peak ≤ 300 MiB whatever the log's size) leaves no room for numpy and scipy.special
(~50 MiB together) in a process that is catching up: they are imported when a ranking or a recurring
problem is first asked for, never at start."""
import subprocess
import sys


def test_audit_starts_without_numpy_or_scipy() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, jiesu_audit.bootstrap, jiesu_audit.__main__; "
                               "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
