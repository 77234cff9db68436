"""The research exports read as intended with the tools' defaults, on a simulated district with planted
returns (the property firm returns 35 % of its offers wrongly): pm4py's hand-over network shows audit's
return edges with audit's counts, lifecycle intervals sum to audit's, and the OCEL validates against the
OCEL 2.0 JSON schema. Audit's side is its own fold of the same log (`jiesu_audit.domain`)."""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from jiesu_audit.domain.history import fold
from jiesu_audit.domain.intervals import returns_of
from jiesu_audit.replay.cli import main as replay_main
from jiesu_audit.replay.reading import HOTLINE, WORK
from jiesu_audit.replay.run import replay
from jiesu_audit.replay.sources import FileSource
from jiesu_dispatch.domain.sla import SlaPolicy
from jiesu_simulator.offline import generate

CASES = 400
OCEL_SCHEMA = Path(__file__).parents[1] / "data" / "ocel20_schema_json.json"
KEY = b"a fixed key for reproducible tests"


def _ocel_formats():
    """The schema's formats checked, not only its types: times must be RFC 3339 date-times (with a zone)."""
    import jsonschema
    from datetime import datetime

    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(text: object) -> bool:
        return not isinstance(text, str) or ("T" in text and datetime.fromisoformat(text).tzinfo is not None)

    return checker


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, Path]:
    tmp = tmp_path_factory.mktemp("district")
    envelopes = list(generate(cases=CASES, seed=7))
    with (tmp / "log.jsonl").open("w") as f:
        f.writelines(e.model_dump_json() + "\n" for e in envelopes)
    asyncio.run(replay(FileSource(tmp / "log.jsonl"), tmp / "out", key=KEY, progress=False))
    return envelopes, tmp / "out"


def audit_return_edges(envelopes: list) -> Counter:
    edges: Counter = Counter()
    for history in fold(envelopes).values():
        edges.update((r["from"], r["to"]) for r in returns_of(history) if r["to"] is not None)
    return edges


def test_pm4py_default_handover_network_shows_audits_return_edges_with_its_counts(district) -> None:
    import pm4py

    envelopes, out = district
    log = pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=False)
    network = pm4py.discover_handover_of_work_network(log)  # every argument at its default
    # pm4py gives each edge its share of all direct successions: events minus traces of them
    successions = len(log) - log["case:concept:name"].nunique()
    counts = {edge: round(share * successions) for edge, share in network.connections.items()}
    between_departments = {(a, b): n for (a, b), n in counts.items()
                           if a != b and HOTLINE not in (a, b)}
    expected = audit_return_edges(envelopes)
    assert expected[("property-firm", "street-office")] > 20  # the planted wrong returner's returns
    assert between_departments == dict(expected)


def test_lifecycle_intervals_of_each_case_sum_to_audits_work_intervals(district) -> None:
    import pm4py
    from pm4py.objects.log.util import interval_lifecycle

    envelopes, out = district
    intervals = interval_lifecycle.to_interval(pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=True))
    pm4py_work = {trace.attributes["concept:name"]: sum(e["@@duration"] for e in trace if e["concept:name"] == WORK)
                  for trace in intervals}
    audit_work = {case_id: sum(o.completed_after or 0.0 for o in h.lead_offers())
                  for case_id, h in fold(envelopes).items()}
    assert len(pm4py_work) == CASES
    assert pm4py_work.keys() == audit_work.keys() and sum(audit_work.values()) > 0
    # XES times carry milliseconds: each interval is audit's to the millisecond
    assert all(pm4py_work[c] == pytest.approx(audit_work[c], abs=0.002 * 3) for c in audit_work)


def test_the_ocel_export_validates_against_the_ocel_2_schema_and_has_the_new_objects(district) -> None:
    import jsonschema
    import pm4py

    _, out = district
    document = json.loads((out / "events.ocel.json").read_text())
    jsonschema.Draft7Validator(json.loads(OCEL_SCHEMA.read_text()), format_checker=_ocel_formats()).validate(document)
    ocel = pm4py.read_ocel2_json(str(out / "events.ocel.json"))
    types = set(ocel.objects["ocel:type"])
    assert {"street", "community", "call-back", "case", "task", "department", "whistle"} <= types
    qualifiers = set(ocel.o2o["ocel:qualifier"])
    assert {"located in", "part of", "calls back about", "offered to"} <= qualifiers


def test_dispatches_and_offers_carry_the_routing_rules_and_sla_policy_versions(district) -> None:
    import pm4py

    _, out = district
    log = pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=False)
    stamped = log[log["jiesu:type"].isin(["case.dispatched.v1", "task.offered.v1"])]
    assert len(stamped) > CASES and set(stamped["jiesu:routing_rules_version"]) == {"default"}
    assert set(stamped["jiesu:sla_policy_version"]) == {SlaPolicy().version}  # the simulator runs dispatch's policy
    assert log[~log["jiesu:type"].isin(["case.dispatched.v1", "task.offered.v1"])]["jiesu:sla_policy_version"].isna().all()
    offers = log[log["jiesu:type"] == "task.offered.v1"]
    assert offers["jiesu:respond_by"].notna().all()  # the deadlines the SLA policy gave


# who acted, per the catalogue (independent of `jiesu_audit.domain.actors`): the person named, else the department
# whose staff or API acted, else the producing service; the acting department is the one the event names
_PERSON_NAMED = {"case.dispatched.v1": "coordinator", "case.reclassified.v1": "operator",
                 "case.callback_recorded.v1": "operator"}
_DEPARTMENT_ACTED = {"task.accepted.v1": "department_id", "task.returned.v2": "department_id",
                     "task.responded.v1": "department_id", "task.progress_reported.v1": "department_id",
                     "task.completed.v1": "department_id", "task.reported_in.v1": "department_id",
                     "whistle.blown.v1": "street_office"}  # the simulator's whistles name no coordinator
_DEPARTMENT_NAMED = {"case.dispatched.v1": "lead_department", "case.handled.v1": "lead_department",
                     "case.rerouted.v1": "to_department"}  # else department_id


def expected_actor(envelope) -> str:
    person = envelope.data.get(_PERSON_NAMED.get(envelope.type, ""))
    if person:
        return person
    if envelope.type in _DEPARTMENT_ACTED:
        return envelope.data[_DEPARTMENT_ACTED[envelope.type]]
    return {"/jiesu/dispatch": "dispatch", "/jiesu/gateway": "gateway", "/jiesu/intake": "intake"}[envelope.source]


def test_each_event_type_names_its_acting_department_as_resource_and_who_acted_as_actor(district) -> None:
    import pm4py

    envelopes, out = district
    by_id = {e.id: e for e in envelopes}
    log = pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=False)
    seen: dict[str, set[tuple[str, str]]] = {}
    for _, trace in log.groupby("case:concept:name", sort=False):
        before = None
        for event_id, resource, actor in zip(trace["identity:id"], trace["org:resource"], trace["jiesu:actor"]):
            envelope = by_id[event_id]
            if envelope.source == "/jiesu/intake":
                wanted = HOTLINE
            elif envelope.type == "case.escalated.v1":  # names no department: stays with the one that had the case
                wanted = before
            else:
                wanted = envelope.data[_DEPARTMENT_NAMED.get(envelope.type, "department_id")]
            assert (resource, actor) == (wanted, expected_actor(envelope)), envelope.type
            named = envelope.data.get(_PERSON_NAMED.get(envelope.type, ""))
            seen.setdefault(envelope.type, set()).add((
                "person" if actor == named else "department" if actor == resource else actor,
                "hotline" if resource == HOTLINE else "department"))
            before = resource
    # the rules' and the gateway's events act as the service, the department's own acts as the department
    assert seen["task.offered.v1"] == seen["case.handled.v1"] == seen["case.rerouted.v1"] == {("dispatch", "department")}
    assert seen["sla.warning.v1"] == seen["sla.breached.v1"] == seen["case.escalated.v1"] == {("dispatch", "department")}
    assert seen["case.dispatched.v1"] == {("dispatch", "department"), ("person", "department")}  # rules, a ruling
    assert seen["task.notified.v1"] == {("gateway", "department")}
    assert seen["task.accepted.v1"] == seen["task.returned.v2"] == seen["task.completed.v1"] == {("department", "department")}
    assert seen["case.received.v1"] == {("intake", "hotline")} and seen["case.callback_recorded.v1"] == {("person", "hotline")}


def test_parquet_and_ocel_name_the_same_actor_as_xes_for_every_event(district) -> None:
    import pyarrow.parquet as pq

    envelopes, out = district
    columns = pq.read_table(out / "events.parquet", columns=["event_id", "actor"]).to_pydict()
    parquet = dict(zip(columns["event_id"], columns["actor"]))
    assert parquet == {e.id: expected_actor(e) for e in envelopes}
    document = json.loads((out / "events.ocel.json").read_text())
    ocel = {e["id"]: next(a["value"] for a in e["attributes"] if a["name"] == "actor") for e in document["events"]}
    assert ocel == parquet
    xes = (out / "events.xes").read_text()
    assert xes.count('key="jiesu:actor"') == json.loads((out / "summary.json").read_text())["accounting"]["xes"]["events"]


def test_summary_accounts_for_every_event(district) -> None:
    import pm4py

    envelopes, out = district
    account = json.loads((out / "summary.json").read_text())["accounting"]
    log = pm4py.read_xes(str(out / "events.xes"), return_legacy_log_object=False)
    assert account["records_read"] == len(envelopes) == account["exported_once"]
    xes = account["xes"]
    assert (xes["events"], xes["traces"]) == (len(log), CASES)
    assert xes["events"] + xes["other_lines_of_work"]["count"] + account["about_no_case"]["count"] == len(envelopes)


def test_sequence_is_a_zero_padded_string_and_old_numeric_exports_still_read(district, tmp_path: Path) -> None:
    _, out = district
    lines = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    assert all(isinstance(e["sequence"], str) and len(e["sequence"]) == 20 for e in lines)
    ordered = sorted(lines[:500], key=lambda e: e["sequence"])
    assert [int(e["sequence"]) for e in ordered] == sorted(int(e["sequence"]) for e in lines[:500])
    old = tmp_path / "old.jsonl"  # an export written before the change: sequence as a JSON number
    old.write_text("".join(json.dumps({**e, "sequence": int(e["sequence"])}) + "\n" for e in lines[:50]))
    summary = asyncio.run(replay(FileSource(old), tmp_path / "again", key=KEY, progress=False))
    assert (summary.events, summary.poison) == (50, [])


@pytest.mark.parametrize("content", [b"", b"   \n", b"short"])
def test_a_key_file_without_a_key_fails_with_a_clear_error(tmp_path: Path, capsys, content: bytes) -> None:
    (tmp_path / "log.jsonl").write_text("")
    (tmp_path / "key").write_bytes(content)
    code = replay_main(["--file", str(tmp_path / "log.jsonl"), "--out", str(tmp_path / "out"),
                        "--key-file", str(tmp_path / "key"), "--no-progress"])
    assert code == 2
    error = capsys.readouterr().err
    assert "key file" in error and "at least 16" in error
    assert not (tmp_path / "out" / "summary.json").exists()


def test_duplicates_and_meeting_tasks_are_linked_object_to_object(tmp_path: Path) -> None:
    """From the catalogue's golden events: a case linked as a duplicate, a meeting's decision with its task, the
    street office that convened the meeting."""
    import jsonschema

    from jiesu_shared.events import Envelope

    goldens = Path(__file__).parents[1] / "contract" / "golden"
    wanted = ("case.received.v1", "case.linked_as_duplicate.v1", "meeting.convened.v2", "meeting.decision_recorded.v1",
              "case.callback_recorded.v1")
    with (tmp_path / "log.jsonl").open("w") as f:
        f.writelines(Envelope.model_validate_json((goldens / f"{name}.json").read_text()).model_dump_json() + "\n"
                     for name in wanted)
    asyncio.run(replay(FileSource(tmp_path / "log.jsonl"), tmp_path / "out", key=KEY, progress=False))
    document = json.loads((tmp_path / "out" / "events.ocel.json").read_text())
    jsonschema.Draft7Validator(json.loads(OCEL_SCHEMA.read_text()), format_checker=_ocel_formats()).validate(document)
    links = {(o["id"].split(":", 1)[0], r["objectId"].split(":", 1)[0], r["qualifier"])
             for o in document["objects"] for r in o["relationships"]}
    assert {("case", "case", "duplicate of"), ("task", "meeting", "decided at"),
            ("call-back", "case", "calls back about"), ("community", "street", "part of"),
            ("meeting", "department", "convened by")} <= links
