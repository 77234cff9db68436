"""The floor benchmark reads every record of the district's log once, in offset order, and does each step it
names for every one of them: its rates are per event of the whole log, as the catch-up's and the export's are."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from jiesu_simulator.bench import floor
from jiesu_simulator.bench.replay import prepare_cases

TOPIC = "jiesu.case-events"


def test_each_floor_takes_every_record_of_the_log_through_each_of_its_steps(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "log.sqlite3"
    prepare_cases(40, log, None, TOPIC)
    with closing(sqlite3.connect(log)) as conn:
        records = conn.execute("SELECT COUNT(*) FROM records WHERE topic = ?", (TOPIC,)).fetchone()[0]
    monkeypatch.setattr(floor, "_STRETCH", 97)  # several stretches, the last one short

    catch_up = floor.catch_up_floor(log, TOPIC)
    export = floor.export_floor(log, TOPIC)

    assert records > 97 * 3
    assert catch_up["events"] == export["events"] == records
    assert catch_up["stored"] == export["stored"] == records  # a timeline row, a JSON line, for each
    assert {k for k in catch_up if k.startswith("us_")} == {"us_read", "us_decode", "us_check_and_row", "us_insert"}
    assert {k for k in export if k.startswith("us_")} == {"us_read", "us_decode", "us_deidentify", "us_write"}
    assert catch_up["per_s"] > 0 and export["per_cpu_s"] > 0
