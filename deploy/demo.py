"""The README's main job: the simulator's live mode. All four services on the embedded log, a district's
departments answering over signed webhooks with the scenario's behaviours (time-scaled), citizens'
requests arriving, and a call-back desk recording verdicts — each case's story printed as audit sees it.
Ctrl-C stops it."""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from deploy.local_stack import ServiceProcess, start_console, start_services, stop_all  # noqa: E402
from jiesu_simulator.live import LiveDistrict, department_behaviours  # noqa: E402
from jiesu_simulator.scenario import Scenario, default_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"government": "government_department"}  # the scenario's kind names → dispatch's directory kinds
SHOWN = {"case.received.v1": "received", "case.dispatched.v1": "dispatched", "task.offered.v1": "offered",
         "task.notified.v1": "webhook delivered", "task.accepted.v1": "accepted", "task.returned.v2": "RETURNED (退单)",
         "case.rerouted.v1": "re-routed", "case.escalated.v1": "ESCALATED", "task.responded.v1": "citizen contacted",
         "task.completed.v1": "completed", "case.handled.v1": "handled", "case.callback_due.v1": "call-back due",
         "case.callback_recorded.v1": "call-back verdict", "case.reopened.v1": "REOPENED", "case.closed.v1": "closed",
         "sla.warning.v1": "SLA warning", "sla.breached.v1": "SLA BREACHED", "task.cancelled.v1": "task cancelled",
         "task.notification_failed.v1": "webhook FAILED", "case.linked_as_duplicate.v1": "linked as duplicate"}


def describe(event: dict) -> str:
    data = event["data"]
    match event["type"]:
        case "case.received.v1":
            return f"{data['channel']}, {data['category']}: {data['text'][:34]}"
        case "case.dispatched.v1":
            extra = f" (+ {', '.join(data['supporting_departments'])})" if data["supporting_departments"] else ""
            return f"lead {data['lead_department']}{extra} by {data['rule']}"
        case "task.returned.v2":
            return f"{data['department_id']}: {data['reason']}"
        case "case.rerouted.v1":
            return f"{data['from_department']} → {data['to_department']}"
        case "case.callback_recorded.v1" | "case.closed.v1":
            return f"{data.get('outcome')} / {data.get('satisfaction')}"
        case "sla.warning.v1" | "sla.breached.v1":
            return f"{data['department_id']} {data['clock']} clock"
        case _:
            return f"{data.get('department_id', '')} {data.get('role', '')}".strip()


def register(services: dict[str, ServiceProcess], scenario: Scenario, admin_token: str, hooks: str) -> dict:
    auth = {"authorization": f"Bearer {admin_token}"}
    credentials = {}
    for department in scenario.departments:
        name = department.department_id.replace("-", " ").title()
        httpx.post(f"{services['dispatch'].url}/admin/departments", headers=auth, json={
            "department_id": department.department_id, "name": name,
            "kind": KINDS.get(department.kind, department.kind), "areas": [scenario.district]}).raise_for_status()
        response = httpx.post(f"{services['gateway'].url}/admin/departments", headers=auth, json={
            "department_id": department.department_id, "name": name,
            "webhook_url": f"{hooks}/webhooks/{department.department_id}"})
        response.raise_for_status()
        credentials[department.department_id] = {k: response.json()[k] for k in ("api_key", "webhook_secret")}
    return credentials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=0, help="stop after this many cases are closed (0: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between new requests")
    parser.add_argument("--seconds-per-hour", type=float, default=0.1, help="how fast the district's clock runs")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    scenario, rng = default_scenario(), random.Random(args.seed)

    state = ROOT / ".jiesu" / "demo"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    # fresh each run, never stored
    admin_token, operator_token, gateway_token, figures_token = (secrets.token_urlsafe(24) for _ in range(4))
    base = int(os.environ.get("JIESU_DEMO_BASE_PORT", "8001"))
    people = console_people()  # one person per desk, to sign in to the console with
    common = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"),
              "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
              # the hotline desk records requests and works the call-backs (which lets it read timelines)
              "JIESU_STAFF": json.dumps([{"id": "hotline-desk", "token": operator_token,
                                          "roles": ["intake", "triage", "callback"]},
                                         {"id": "agency-gateway", "token": gateway_token, "roles": ["disclosure"]},
                                         # a token of its own to read each department's figures for it
                                         {"id": "agency-gateway-figures", "token": figures_token,
                                          "roles": ["figures"]},
                                         *people]),
              "JIESU_INTAKE_TOKEN": gateway_token, "JIESU_AUDIT_TOKEN": figures_token}
    print("Starting intake, dispatch, agency-gateway and audit on the embedded log …", flush=True)
    services = start_services(common, state, {"intake": base, "dispatch": base + 1, "gateway": base + 2,
                                              "audit": base + 3})
    processes: dict[str, ServiceProcess] = dict(services)
    try:
        hooks = f"http://127.0.0.1:{base + 9}"
        secrets_file = state / "departments.json"
        secrets_file.write_text(json.dumps(register(services, scenario, admin_token, hooks)))
        secrets_file.chmod(0o600)
        processes["departments"] = ServiceProcess("jiesu_reference_department", {
            "REFDEPT_PORT": str(base + 9), "REFDEPT_GATEWAY_URL": services["gateway"].url,
            "REFDEPT_CREDENTIALS_JSON": str(secrets_file), "REFDEPT_SEED": str(args.seed),
            "REFDEPT_BEHAVIOUR_JSON": json.dumps(department_behaviours(scenario, args.seconds_per_hour))},
            state / "logs" / "departments.log")
        processes["departments"].wait_healthy()
        processes["console"] = start_console(services, state, port=base + 4)
        for name, process in services.items():
            print(f"  {name:<9} {process.url}/docs")
        print_console_sign_ins(processes["console"].url, people, json.loads(secrets_file.read_text()))
        print(f"  {len(scenario.departments)} departments behave as planted: {scenario.planted}")
        print(f"  One district hour passes every {args.seconds_per_hour} s. Logs: {state}/logs. Ctrl-C stops.\n",
              flush=True)
        district = LiveDistrict(scenario, rng, services["intake"].url, operator_token)
        run(district, services["audit"].url, args)
    except KeyboardInterrupt:
        print("\nStopping …")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C (uv forwards one too) must not cut it short
        stop_all(processes)


def console_people() -> list[dict]:
    """Demo staff for the console, fresh tokens each run: an operator per desk, a coordinator, a researcher."""
    desks = {"op-record": ["intake"], "op-triage": ["triage"], "op-callback": ["callback"],
             "coord-li": ["coordinator"], "admin-zhao": ["admin"], "research-chen": ["researcher"]}
    return [{"id": person, "token": secrets.token_urlsafe(18), "roles": roles} for person, roles in desks.items()]


def print_console_sign_ins(url: str, people: list[dict], departments: dict) -> None:
    print(f"\n  console   {url}/   sign in with a staff token (or a department's API key):")
    for person in people:
        print(f"    {','.join(person['roles']):<12} {person['id']:<16} {person['token']}")
    for department in ("property-firm", "heating-utility"):
        if department in departments:
            print(f"    department   {department:<16} {departments[department]['api_key']}")


def run(district: LiveDistrict, audit: str, args: argparse.Namespace) -> None:
    shown: dict[str, int] = {}
    closed, submitted, next_case_at = 0, 0, time.monotonic()
    with httpx.Client(timeout=10) as client:
        while not args.cases or closed < args.cases:
            if (not args.cases or submitted < args.cases) and time.monotonic() >= next_case_at:
                shown[district.submit(client)] = 0
                submitted += 1
                next_case_at = time.monotonic() + args.interval
            district.work_callback_queue(client)
            for case_id, count in list(shown.items()):
                response = client.get(f"{audit}/cases/{case_id}/timeline", headers=district.operator_headers)
                events = response.json()["events"] if response.status_code == 200 else []
                for event in events[count:]:
                    print(f"{event['time'][11:23]}  case {case_id[:8]}  {SHOWN.get(event['type'], event['type']):<18}"
                          f" {describe(event)}", flush=True)
                shown[case_id] = len(events)
                if events and events[-1]["type"] == "case.closed.v1":
                    shown.pop(case_id)
                    closed += 1
            time.sleep(0.3)
    print(f"\n{closed} cases received, dispatched, handled, called back and closed.")


if __name__ == "__main__":
    main()
