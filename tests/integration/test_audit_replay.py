"""The research replay over the hand-made log: from a file, the embedded log and Kafka; its exports load in
pm4py with the right numbers, validate against XES/OCEL 2.0, carry no personal data, and are reproducible."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from lxml import etree

from jiesu_shared.bus.embedded import EmbeddedBus
from jiesu_shared.bus.kafka import KafkaBus
from jiesu_shared.bus.port import OutgoingRecord
from jiesu_shared.events import encode_envelope

from jiesu_audit.replay.run import FILES, replay
from jiesu_audit.replay.sources import EmbeddedSource, FileSource
from tests.contract.test_bus_contract import publish
from tests.domain.audit_known_log import C1, C2, C3, known_log

EVENTS = known_log()
KEY = b"a fixed key for reproducible tests"
# 59 events: 57 about the four cases, one meeting.convened (about meeting M1) and one about no case.
# Objects: 4 cases, 12 tasks (T1–T12), 5 departments, meeting M1, whistle W1, 2 streets with a community
# each, 4 call-backs. XES holds each case's lead line: 47 of the 57 events (10 are supporting tasks,
# the whistle and its report-ins, the meeting's decision: beside the lead line, in the OCEL).
CASE_EVENTS, ALL_EVENTS, XES_EVENTS = 57, 59, 47
OBJECTS = {"case": 4, "task": 12, "department": 5, "meeting": 1, "whistle": 1, "street": 2, "community": 2,
           "call-back": 4}
OCEL_SCHEMA = Path(__file__).parents[1] / "data" / "ocel20_schema_json.json"
PERSONAL = ["13912345678", "13800001111", "11010519491231002X", "zs@example.com", "li.si@example.org",
            "65123456", "张三", "三眼井胡同", "黄庄8号", "39.92", "116.39", "c2VjcmV0IGNpcGhlcnRleHQ=", "citizen-of-case"]


def write_log_file(path: Path, poison_after: int = 10) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i, envelope in enumerate(EVENTS):
            f.write(envelope.model_dump_json() + "\n")
            if i == poison_after:
                f.write('{"id": "half a record", "type": \n')
                f.write(EVENTS[3].model_dump_json() + "\n")  # a redelivered event: exported once
    return path


def run(source, out: Path, key: bytes | None = KEY):
    return asyncio.run(replay(source, out, key=key, progress=False))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("replay")
    run(FileSource(write_log_file(tmp / "log.jsonl")), tmp / "out")
    return tmp / "out"


def test_the_summary_counts_everything_and_reports_the_poison_line(export: Path) -> None:
    summary = json.loads((export / "summary.json").read_text())
    assert (summary["events"], summary["cases"], summary["objects"]) == (ALL_EVENTS, 4, sum(OBJECTS.values()))
    assert summary["duplicates"] == 1
    assert summary["poison"]["count"] == 1
    poison = summary["poison"]["records"][0]
    assert poison["position"] == "line 12" and "JSON" in poison["reason"]


def test_xes_is_valid_ieee_1849_and_loads_in_pm4py(export: Path) -> None:
    import pm4py

    schema = etree.XMLSchema(etree.parse(str(resources.files("jiesu_audit.replay").joinpath("xes_1849_2016.xsd"))))
    document = etree.parse(str(export / "events.xes"))
    assert schema.validate(document), schema.error_log
    log = pm4py.read_xes(str(export / "events.xes"), return_legacy_log_object=False)
    assert log["case:concept:name"].nunique() == 4 and len(log) == XES_EVENTS
    case_1 = log[log["case:concept:name"] == C1]
    assert list(case_1["concept:name"])[:3] == ["case.received", "case.dispatched", "task.offered"]
    assert case_1["time:timestamp"].is_monotonic_increasing
    assert set(log["case:jiesu:street"]) == {"Jingshan", "Zhongguancun"}


def test_xes_schema_rejects_a_broken_document(export: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(resources.files("jiesu_audit.replay").joinpath("xes_1849_2016.xsd"))))
    broken = (export / "events.xes").read_text().replace('<date key="time:timestamp" value="2026-11-01T08:00:00.000',
                                                         '<date key="time:timestamp" value="yesterday', 1)
    assert not schema.validate(etree.fromstring(broken.encode()))


def test_ocel_is_valid_ocel_2_and_loads_in_pm4py(export: Path) -> None:
    import pm4py

    import jsonschema

    document = json.loads((export / "events.ocel.json").read_text())
    jsonschema.Draft7Validator(json.loads(OCEL_SCHEMA.read_text())).validate(document)
    assert ocel2_problems(document) == []
    ocel = pm4py.read_ocel2_json(str(export / "events.ocel.json"))
    assert len(ocel.events) == ALL_EVENTS
    assert ocel.objects["ocel:type"].value_counts().to_dict() == OBJECTS
    links = set(zip(ocel.o2o["ocel:oid"], ocel.o2o["ocel:oid_2"], ocel.o2o["ocel:qualifier"]))
    assert ("task:T3", "department:housing", "offered to") in links and ("meeting:M1", "case:case-3", "discusses") in links


def test_parquet_has_one_flat_row_per_event(export: Path) -> None:
    table = pq.read_table(export / "events.parquet")
    assert table.num_rows == ALL_EVENTS
    rows = table.to_pylist()
    returned = next(r for r in rows if r["type"] == "task.returned.v2")
    assert (returned["case_id"], returned["department"], returned["reason"], returned["street"]) == (
        C1, "property-firm", "not_our_remit", None)
    assert rows[0]["street"] == "Jingshan" and rows[0]["citizen"].startswith("cit-")


def test_no_export_holds_personal_data(export: Path) -> None:
    for name in ("events.jsonl", "events.xes", "events.ocel.json", "summary.json"):
        text = (export / name).read_text()
        assert [p for p in PERSONAL if p in text] == [], name
    flat = json.dumps(pq.read_table(export / "events.parquet").to_pylist(), ensure_ascii=False, default=str)
    assert [p for p in PERSONAL if p in flat] == []


def test_citizens_become_pseudonyms_stable_within_one_export_only(export: Path, tmp_path: Path) -> None:
    def citizens(directory: Path) -> dict[str, str]:
        lines = [json.loads(x) for x in (directory / "events.jsonl").read_text().splitlines()]
        return {e["subject"]: e["data"]["contact"]["citizen"] for e in lines if e["type"] == "case.received.v1"}

    here = citizens(export)
    assert here[C1] == here[C2] != here[C3]  # case-1 and case-2 came from the same citizen
    run(FileSource(write_log_file(tmp_path / "log.jsonl")), tmp_path / "other", key=None)
    assert set(citizens(tmp_path / "other").values()).isdisjoint(here.values())


def test_the_same_log_replayed_twice_gives_byte_identical_exports(tmp_path: Path) -> None:
    log = write_log_file(tmp_path / "log.jsonl")
    run(FileSource(log), tmp_path / "a")
    run(FileSource(log), tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["events.jsonl", "events.ocel.json", "events.parquet", "events.xes", "summary.json"]
    assert [(tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names] == [True] * 5


def test_an_export_can_be_replayed_again(export: Path, tmp_path: Path) -> None:
    summary = run(FileSource(export / "events.jsonl"), tmp_path / "again")
    assert (summary.events, summary.cases, summary.poison) == (ALL_EVENTS, 4, [])


def records(topic: str) -> list[OutgoingRecord]:
    out = []
    for i, envelope in enumerate(EVENTS):
        key, headers, value = encode_envelope(envelope)
        out.append(OutgoingRecord(topic, key, value, tuple(headers)))
        if i == 10:
            out.append(OutgoingRecord(topic, C1.encode(), b"\xff poison", tuple(headers)))
    return out


def test_replay_from_the_embedded_log_is_bounded_at_its_start(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "log.sqlite3")
    asyncio.run(bus.ensure_topics(["cases"]))
    asyncio.run(publish(bus, records("cases")))
    source = EmbeddedSource(tmp_path / "log.sqlite3", "cases")
    assert asyncio.run(source.total()) == ALL_EVENTS + 1
    asyncio.run(publish(bus, records("cases")[:5]))  # appended after the replay started: not part of it
    summary = run(source, tmp_path / "out")
    assert summary.events == ALL_EVENTS
    assert [(p["partition"], p["offset"]) for p in summary.poison] == [(0, 11)]


def test_replay_command_from_kafka_with_progress_bar(kafka_bootstrap: str, unique: str, tmp_path: Path) -> None:
    topic = f"audit.replay.{unique}"
    bus = KafkaBus(kafka_bootstrap, partitions=3)
    asyncio.run(bus.ensure_topics([topic]))
    asyncio.run(publish(bus, records(topic)))
    (tmp_path / "key").write_bytes(KEY)
    command = [sys.executable, "-m", "jiesu_audit", "replay", "--kafka", kafka_bootstrap, "--topic", topic,
               "--out", str(tmp_path / "out"), "--key-file", str(tmp_path / "key")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["events"], summary["cases"], summary["poison"]["count"]) == (ALL_EVENTS, 4, 1)
    poison = summary["poison"]["records"][0]
    assert poison["position"] == f"{poison['partition']}/{poison['offset']}" and "JSON" in poison["reason"]
    assert "replay: 100%" in done.stderr and "1 poison record(s)" in done.stderr
    again = subprocess.run(command[:-4] + ["--out", str(tmp_path / "again"), "--key-file", str(tmp_path / "key"),
                                           "--no-progress"], capture_output=True, text=True, timeout=120)
    assert (tmp_path / "out" / "events.xes").read_bytes() == (tmp_path / "again" / "events.xes").read_bytes()
    assert again.stderr.count("replay:") == 0


def ocel2_problems(doc: dict) -> list[str]:
    """The OCEL 2.0 JSON format's rules: declared types and attributes, unique ids, ISO times, and every
    relationship pointing at an object that exists."""
    problems: list[str] = []
    if set(doc) != {"objectTypes", "eventTypes", "objects", "events"}:
        return [f"top-level keys {sorted(doc)}"]
    kinds = {"string", "time", "integer", "float", "boolean"}
    declared = {}
    for section in ("objectTypes", "eventTypes"):
        for t in doc[section]:
            declared[(section, t["name"])] = {a["name"] for a in t["attributes"]}
            problems += [f"{t['name']}.{a['name']} has type {a['type']}" for a in t["attributes"] if a["type"] not in kinds]
    object_ids = [o["id"] for o in doc["objects"]]
    problems += ["duplicate object ids"] if len(set(object_ids)) != len(object_ids) else []
    known = set(object_ids)
    for o in doc["objects"]:
        attrs = declared.get(("objectTypes", o["type"]))
        if attrs is None:
            problems.append(f"object {o['id']} of undeclared type {o['type']}")
            continue
        problems += [f"{o['id']}: undeclared {a['name']}" for a in o.get("attributes", []) if a["name"] not in attrs]
        problems += [f"{o['id']}: bad time" for a in o.get("attributes", []) if not _iso(a["time"])]
        problems += [f"{o['id']} → missing {r['objectId']}" for r in o.get("relationships", []) if r["objectId"] not in known]
    event_ids = [e["id"] for e in doc["events"]]
    problems += ["duplicate event ids"] if len(set(event_ids)) != len(event_ids) else []
    for e in doc["events"]:
        attrs = declared.get(("eventTypes", e["type"]))
        if attrs is None or not _iso(e["time"]):
            problems.append(f"event {e['id']}: undeclared type or bad time")
            continue
        problems += [f"{e['id']}: undeclared {a['name']}" for a in e.get("attributes", []) if a["name"] not in attrs]
        problems += [f"{e['id']} → missing {r['objectId']}" for r in e.get("relationships", []) if r["objectId"] not in known]
        problems += [f"{e['id']}: qualifier" for r in e.get("relationships", []) if not isinstance(r.get("qualifier"), str)]
    return problems


def _iso(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except (ValueError, AttributeError):
        return False


def test_replay_command_explains_a_missing_source(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "jiesu_audit", "replay", "--file", str(tmp_path / "nothing.jsonl"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "replay failed" in done.stderr and "nothing.jsonl" in done.stderr


def test_a_file_the_second_process_cannot_write_fails_the_replay_with_its_reason(tmp_path: Path) -> None:
    """Staging, JSON Lines, Parquet and OCEL are written by a second process: its failure is the replay's,
    told with the reason, and no process is left waiting."""
    (tmp_path / "out" / "events.parquet").mkdir(parents=True)  # a directory where the file must go
    log = write_log_file(tmp_path / "log.jsonl")
    done = subprocess.run([sys.executable, "-m", "jiesu_audit", "replay", "--file", str(log), "--out",
                           str(tmp_path / "out"), "--no-progress"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "replay failed: staging the events failed" in done.stderr and "events.parquet" in done.stderr
    assert not (tmp_path / "out" / ".replay-staging.sqlite3").exists()


@pytest.mark.parametrize("formats", [("xes",), ("ocel",), ("jsonl", "parquet"), ("xes", "ocel")])
def test_a_subset_of_the_formats_gives_the_same_files_as_the_full_export(export: Path, tmp_path: Path,
                                                                           formats: tuple[str, ...]) -> None:
    """XES and OCEL are written in two halves by two processes and joined; each file alone comes out the same."""
    out = tmp_path / "out"
    summary = asyncio.run(replay(FileSource(write_log_file(tmp_path / "log.jsonl")), out, key=KEY, formats=formats,
                                 progress=False))
    names = [FILES[f] for f in formats]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "summary.json"])  # no part file left
    assert [(out / n).read_bytes() == (export / n).read_bytes() for n in names] == [True] * len(names)
    assert summary.xes == ({"traces": 4, "events": XES_EVENTS} if "xes" in formats else {})


@pytest.mark.parametrize("events", [1, 2, 5])
def test_a_log_of_one_case_or_a_few_events_gives_valid_xes_and_ocel(tmp_path: Path, events: int) -> None:
    """The halves' edges: no case before the middle one, one event in all."""
    with (tmp_path / "log.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(e.model_dump_json() + "\n" for e in EVENTS[:events])
    summary = run(FileSource(tmp_path / "log.jsonl"), tmp_path / "out")
    schema = etree.XMLSchema(etree.parse(str(resources.files("jiesu_audit.replay").joinpath("xes_1849_2016.xsd"))))
    document = etree.parse(str(tmp_path / "out" / "events.xes"))
    assert schema.validate(document), schema.error_log
    assert len(document.getroot().findall(".//{http://www.xes-standard.org/}event")) == summary.xes["events"]
    ocel = json.loads((tmp_path / "out" / "events.ocel.json").read_text())
    assert ocel2_problems(ocel) == [] and len(ocel["events"]) == summary.events == events


def test_every_event_type_of_the_catalogue_replays_into_valid_exports(tmp_path: Path) -> None:
    """One golden document per type, new types included as producers add them: none is poison, none breaks
    the histories, and the exports stay valid."""
    from jiesu_shared.events import Envelope

    from jiesu_audit.domain.history import fold

    goldens = sorted((Path(__file__).parents[1] / "contract" / "golden").glob("*.json"))
    envelopes = [Envelope.model_validate_json(p.read_text()) for p in goldens]
    fold(envelopes)
    with (tmp_path / "golden.jsonl").open("w") as f:
        f.writelines(e.model_dump_json() + "\n" for e in envelopes)
    summary = run(FileSource(tmp_path / "golden.jsonl"), tmp_path / "out")
    unique_ids = len({e.id for e in envelopes})
    assert (summary.events, summary.duplicates, summary.poison) == (unique_ids, len(goldens) - unique_ids, [])
    schema = etree.XMLSchema(etree.parse(str(resources.files("jiesu_audit.replay").joinpath("xes_1849_2016.xsd"))))
    assert schema.validate(etree.parse(str(tmp_path / "out" / "events.xes"))), schema.error_log
    assert ocel2_problems(json.loads((tmp_path / "out" / "events.ocel.json").read_text())) == []
