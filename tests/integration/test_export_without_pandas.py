"""The export command never imports pandas (pyarrow would, on its first array, only to ask whether a list is a
pandas object): its files are the same without it, and the library function leaves the importer alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

_CHECK = """
import sys
from jiesu_audit.replay.cli import without_pandas
without_pandas()
import pyarrow as pa
assert pa.array(["a", None], type=pa.string()).null_count == 1
assert "pandas" not in sys.modules, "pandas was imported"
try:
    import pandas  # noqa: F401
except ImportError:
    print("refused")
"""


def test_the_export_process_makes_its_arrays_without_importing_pandas() -> None:
    done = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"


def _golden_log(tmp_path: Path) -> tuple[Path, int]:
    """One golden event of each type, as a file to replay, and how many distinct events it holds."""
    from jiesu_shared.events import Envelope

    envelopes = [Envelope.model_validate_json(p.read_text())
                 for p in sorted((Path(__file__).parents[1] / "contract" / "golden").glob("*.json"))]
    (tmp_path / "log.jsonl").write_text("".join(e.model_dump_json() + "\n" for e in envelopes))
    return tmp_path / "log.jsonl", len({e.id for e in envelopes})


def test_the_command_writes_parquet_without_pandas(tmp_path: Path) -> None:
    log, events = _golden_log(tmp_path)
    done = subprocess.run([sys.executable, "-m", "jiesu_audit", "replay", "--file", str(log),
                           "--out", str(tmp_path / "out"), "--formats", "parquet", "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert pq.read_table(tmp_path / "out" / "events.parquet").num_rows == events


def test_the_function_called_with_arguments_leaves_the_importer_alone(tmp_path: Path) -> None:
    from jiesu_audit.replay.cli import main

    log, _ = _golden_log(tmp_path)
    assert main(["--file", str(log), "--out", str(tmp_path / "out"), "--formats", "jsonl", "--no-progress"]) == 0
    assert not any(type(finder).__name__ == "_NoPandas" for finder in sys.meta_path)
