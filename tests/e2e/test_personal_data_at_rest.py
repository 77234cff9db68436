"""The personal-data test (issue 11), as an outside tester would run it, on the embedded log and on Kafka.

A citizen's names (a four-character compound surname among them), addresses, a house number, coordinates,
phones in every form, a landline, ID numbers and e-mails go in through every channel; the cases flow to
departments whose webhooks are a real receiver, and one is accepted. Then everything Jiesu keeps is scanned:
the raw log, every service's database (rows and file bytes), the gateway's delivery records, service logs,
span files and every export format — nothing may be there in clear. The one place the values belong is the
webhook a department received for its live task (need to know): the scan must find them there, which also
proves it can find them. After the citizens are erased, nothing is readable anywhere (their keys are gone
from intake's database bytes too) and the replay still exports every event.

Every finding is collected and printed as a table of (place scanned, values found) before the test fails,
so a failure says exactly where a value leaked."""
from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from jiesu_intake.master_key import load_master_key
from tests.e2e.conftest import Deployment
from tests.support.leak_scan import Findings, file_bytes, sqlite_files
from tests.support.planted import NATIVE_CHANNELS, PLANTED, VALUE, native_case, open311_form
from tests.support.scan_deployment import (Stack, bearer, scan_everything, scan_logs_and_spans, scan_stored,
                                            stop_services)
from tests.support.staff import as_role
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
OPEN311_KEY = "pii-scan-open311-key"
DEPARTMENTS = ("property-firm", "housing")  # the default routing's lead and supporting departments
RECEIVED = "webhooks received by the departments (live tasks: need to know)"


@pytest.fixture(autouse=True)
def open311_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Open311 client's key, in the environment the services start with (autouse: before `deployment`)."""
    monkeypatch.setenv("JIESU_OPEN311_API_KEYS", json.dumps({OPEN311_KEY: "pii-scan-client"}))


def test_planted_personal_data_is_nowhere_in_clear_and_unreadable_after_erasure(
        deployment: Deployment, bus_kind: str, tmp_path: Path, unique: str, request: pytest.FixtureRequest) -> None:
    stack = Stack(deployment, tmp_path, topic=f"e2e.cases.{unique}", dead_letters=f"e2e.dlq.{unique}",
                  kafka=request.getfixturevalue("kafka_bootstrap") if bus_kind == "kafka" else None,
                  keys={d: deployment.register(d) for d in DEPARTMENTS})
    plant(stack)
    live_task = let_the_cases_flow(stack)

    before = Findings.of(PLANTED)
    exported_before = scan_everything(stack, before, tmp_path / "export-before")
    failures = disclosure_failures(stack, live_task, before)
    failures += leaks("before erasure, in clear in", before, allowed=RECEIVED)

    shredded = Findings(erase_every_citizen(stack, failures))
    after = Findings.of(PLANTED)
    failures += erasure_failures(stack, live_task, after)
    exported_after = scan_everything(stack, after, tmp_path / "export-after")
    scan_intake_files(stack, shredded, "running")
    stop_services(stack)
    at_rest = Findings.of(PLANTED)
    scan_stored(stack, at_rest)
    scan_logs_and_spans(stack, at_rest)
    scan_intake_files(stack, shredded, "stopped")
    failures += leaks("after erasure, readable in", after) + leaks("after erasure, services stopped, in", at_rest)
    failures += [f"after erasure, a shredded key is still in {place}" for place in shredded.leaks()]
    failures += replay_failures(exported_before, exported_after, len(stack.cases))

    tables = [before.table("BEFORE ERASURE"), after.table("AFTER ERASURE"),
              at_rest.table("AFTER ERASURE, SERVICES STOPPED (write-ahead logs checkpointed)"),
              shredded.table("THE ERASED CITIZENS' KEYS, IN INTAKE'S DATABASE FILES")]
    print("\n\n".join(tables))
    assert not failures, "\n".join(failures) + "\n\n" + "\n\n".join(tables)


def leaks(what: str, found: Findings, allowed: str | None = None) -> list[str]:
    return [f"{what} {place}: {' | '.join(labels)}"
            for place, labels in found.leaks(except_places=[allowed] if allowed else []).items()]


def scan_intake_files(stack: Stack, shredded: Findings, when: str) -> None:
    for path in sqlite_files(stack.state / "intake.sqlite3"):
        shredded.scan(f"{path.name} (bytes, {when})", file_bytes(path))


def replay_failures(before: dict, after: dict, cases: int) -> list[str]:
    """Erasure changes no event: a fresh replay exports as many as before, none of them poison."""
    counts = [(s["events"], s["cases"], s["poison"]["count"]) for s in (before, after)]
    if counts[0] != counts[1] or counts[1][1] < cases or counts[1][2]:
        return [f"replay (events, cases, poison) before erasure {counts[0]}, after {counts[1]}"]
    return []


def plant(stack: Stack) -> None:
    """One case through each native channel, with a contact, and one through Open311's form-encoded POST."""
    for channel in NATIVE_CHANNELS:
        created = httpx.post(stack.url("intake", "/cases"), json=native_case(channel), headers=as_role("intake"))
        assert created.status_code == 201, created.text
        stack.cases[channel] = created.json()["case_id"]
    created = httpx.post(stack.url("intake", "/open311/v2/requests.json"), data=open311_form(OPEN311_KEY))
    assert created.status_code == 201, created.text
    stack.cases["open311"] = created.json()[0]["service_request_id"]


def let_the_cases_flow(stack: Stack) -> str:
    """Each case offered to both departments over their webhooks; the property firm accepts the hotline case;
    audit shows every timeline. Returns the accepted (live) task's id."""
    offers = {(channel, department): eventually(lambda c=case_id, d=department: offer(stack, d, c), timeout=60,
                                                what=f"the {channel} case's offer to {department}")
              for channel, case_id in stack.cases.items() for department in DEPARTMENTS}
    live_task = offers["hotline", "property-firm"]["task_id"]
    accepted = httpx.post(stack.url("gateway", f"/tasks/{live_task}/accept"),
                          headers=bearer(stack.keys["property-firm"]))
    assert accepted.status_code == 200, accepted.text
    for channel, case_id in stack.cases.items():
        eventually(lambda c=case_id, a=channel == "hotline": settled(stack, c, accepted=a), timeout=60,
                   what=f"the {channel} case's notified offers (and acceptance) in audit's timeline")
    return live_task


def offer(stack: Stack, department: str, case_id: str) -> dict | None:
    return next((d.body["data"] for d in stack.deployment.receiver.for_department(department)
                 if d.body["type"] == "task.offered" and d.body["data"]["case_id"] == case_id), None)


def settled(stack: Stack, case_id: str, *, accepted: bool) -> bool:
    response = httpx.get(stack.url("audit", f"/cases/{case_id}/timeline"), headers=as_role("coordinator"))
    types = [e["type"] for e in response.json()["events"]] if response.status_code == 200 else []
    return types.count("task.notified.v1") >= len(DEPARTMENTS) and (not accepted or "task.accepted.v1" in types)


def disclosure_failures(stack: Stack, live_task: str, before: Findings) -> list[str]:
    """The departments' webhooks for their live tasks carry the case's personal data (all but the contact's
    ID number), and so does the live task in the task API: the scan finds them where they belong. Intake
    records the disclosures, without the values, for the privacy role."""
    deliveries = list(stack.deployment.receiver.deliveries)
    assert deliveries and all(d.verified for d in deliveries), "every webhook must verify"
    for delivery in deliveries:
        before.scan(RECEIVED, json.dumps(delivery.body, ensure_ascii=False))
    found = before.places[RECEIVED]
    failures = [f"the departments' webhooks lack {p.label} ({p.value})"
                for p in PLANTED if p.disclosed and p.label not in found]
    failures += [f"a department was sent {p.label}" for p in PLANTED if not p.disclosed and p.label in found]
    task = httpx.get(stack.url("gateway", f"/tasks/{live_task}"), headers=bearer(stack.keys["property-firm"])).json()
    personal = task.get("personal") or {}
    if task.get("personal_status") != "disclosed" or personal.get("address") != VALUE["address (place.address)"]:
        failures.append(f"GET /tasks/{{live task}} shows personal_status {task.get('personal_status')!r}, "
                        f"address {personal.get('address')!r}")
    records = httpx.get(stack.url("intake", "/disclosures"), params={"case_id": stack.cases["hotline"]},
                        headers=as_role("privacy"))
    before.scan("intake GET /disclosures (privacy role)", records.content)
    if records.status_code != 200 or not any(r.get("task_id") == live_task for r in records.json()):
        failures.append(f"intake recorded no disclosure for the live task: {records.status_code} {records.text[:200]}")
    return failures


def erase_every_citizen(stack: Stack, failures: list[str]) -> dict[str, tuple[bytes, ...]]:
    """Find each case's citizen as an operator with the contact role, erase them as the privacy officer, and
    return the keys that were shredded (read from intake's database first) as needles to look for."""
    citizen = {}
    for channel, case_id in stack.cases.items():
        seen = httpx.get(stack.url("intake", f"/cases/{case_id}"), headers=as_role("contact")).json()
        assert seen.get("citizen_id") and seen.get("contact"), f"the {channel} case shows no citizen: {seen}"
        citizen[channel] = seen["citizen_id"]
    if citizen["open311"] == citizen["hotline"]:  # only the numbers in its text are the hotline caller's
        failures.append("the Open311 case was sealed under the hotline caller's key: a number in its text linked it")
    found = httpx.post(stack.url("intake", "/citizens/lookup"), json={"phone": VALUE["mobile, plain"]},
                       headers=as_role("privacy"))
    assert found.status_code == 200 and found.json()["citizen_id"] == citizen["hotline"], found.text
    keys = citizen_keys(stack.state / "intake.sqlite3", set(citizen.values()))
    for citizen_id in keys:
        erased = httpx.delete(stack.url("intake", f"/citizens/{citizen_id}"), headers=as_role("privacy"))
        assert erased.status_code == 204, erased.text
    return {f"key of {citizen_id}": needles for citizen_id, needles in keys.items()}


def citizen_keys(database: Path, citizens: set[str]) -> dict[str, tuple[bytes, ...]]:
    """Each citizen's key as stored (wrapped under intake's master key) and unwrapped, raw and in base64."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT citizen_id, key_id, key FROM intake_citizen_keys").fetchall()
    finally:
        connection.close()
    master = load_master_key(key_file=None, key_command=None, database_url=f"sqlite:///{database}")
    keys = {}
    for citizen, key_id, stored in rows:
        if citizen in citizens:
            raw = master.unwrap(stored, f"{citizen}|{key_id}")
            assert stored.startswith("mk1.") and base64.b64encode(raw).decode() not in stored  # it rests wrapped
            keys[citizen] = (stored.encode(), raw, base64.b64encode(raw))
    assert set(keys) == citizens, f"intake's database holds no key for {citizens - set(keys)}"
    return keys


def erasure_failures(stack: Stack, live_task: str, after: Findings) -> list[str]:
    """Intake shows each case's data as erased (to the contact role too); the gateway says so for the live task."""
    failures = []
    for channel, case_id in stack.cases.items():
        response = httpx.get(stack.url("intake", f"/cases/{case_id}"), headers=as_role("contact"))
        seen = response.json()
        if response.status_code != 200 or seen.get("contact") is not None or not seen.get("contact_erased"):
            failures.append(f"after erasure intake shows the {channel} case's contact: {response.text[:300]}")
        after.scan("intake GET /cases/{id} (contact role)", response.content)
    task = httpx.get(stack.url("gateway", f"/tasks/{live_task}"), headers=bearer(stack.keys["property-firm"])).json()
    if task.get("personal_status") != "erased" or task.get("personal") is not None:
        failures.append(f"after erasure GET /tasks/{{live task}} shows personal_status {task.get('personal_status')!r}")
    return failures
