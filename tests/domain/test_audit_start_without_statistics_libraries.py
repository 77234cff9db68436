"""Audit's memory goal (peak ≤ 300 MiB whatever the log's size) leaves no room for numpy and scipy.special
(~30-50 MiB together) in a process that is catching up: never imported at start; once caught up, only if the
process's memory leaves room for them under the budget, else when a ranking or a recurring problem is first
asked for."""
import subprocess
import sys


def test_audit_starts_without_numpy_or_scipy() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, jiesu_audit.bootstrap, jiesu_audit.__main__; "
                               "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_once_caught_up_they_are_imported_only_where_memory_leaves_room() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys; from jiesu_audit.queries import confidence as c; "
                               "c._BUDGET_MIB = 0; print(c.import_when_there_is_room(), 'numpy' in sys.modules); "
                               "c._BUDGET_MIB = 300; print(c.import_when_there_is_room(), 'numpy' in sys.modules, "
                               "'scipy.special' in sys.modules)"],
        capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["False", "False", "True", "True", "True"]
