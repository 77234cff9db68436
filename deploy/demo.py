"""The README's main job: all four services on the embedded log, departments answering over signed
webhooks, and a stream of citizens' requests whose timelines print as they happen. Ctrl-C stops it."""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from deploy.local_stack import ServiceProcess, start_services, stop_all  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENTS = ["property-firm", "housing", "street-office", "urban-management", "environment",
               "fire-safety", "heating-utility"]
REQUESTS = [  # (category, text) in the words citizens use; the seeds' subject mix leans to property management
    ("property_management", "楼道灯坏了一个月，物业一直不修 / The stairwell light has been broken for a month"),
    ("property_management", "楼上漏水到我家，物业推给业主自己协商 / Water leaks from upstairs, the property firm won't act"),
    ("neighbour_dispute", "邻居在公共走廊堆放杂物 / A neighbour blocks the shared corridor with junk"),
    ("noise", "夜里工地施工噪音很大 / Construction noise all night"),
    ("illegal_construction", "小区里有人私搭乱建 / Someone is building an illegal structure in the compound"),
    ("fire_hazard", "电动车在楼道里充电 / E-bikes are charged in the stairwell"),
    ("heating", "暖气不热，室温只有十五度 / The radiators are cold, 15 °C indoors"),
    (None, "门口那个事情能不能管一管 / Can someone deal with that thing at the gate"),
]
PLACES = [("Dongcheng", "Jingshan", "Sanyanjing"), ("Xicheng", "Shichahai", "Yandaixiejie"),
          ("Chaoyang", "Jinsong", "Jinsong-East")]
SHOWN = {"case.received.v1": "received", "case.dispatched.v1": "dispatched", "task.offered.v1": "offered",
         "task.notified.v1": "webhook delivered", "task.accepted.v1": "accepted",
         "task.notification_failed.v1": "webhook FAILED"}


def describe(event: dict) -> str:
    data = event["data"]
    match event["type"]:
        case "case.received.v1":
            return f"{data['channel']}, {data['category']}: {data['text'][:40]}"
        case "case.dispatched.v1":
            extra = f" (+ {', '.join(data['supporting_departments'])})" if data["supporting_departments"] else ""
            return f"lead {data['lead_department']}{extra} by rule {data['rule']}"
        case _:
            return f"{data.get('department_id', '')} {data.get('role', '')}".strip()


def register_departments(gateway: str, admin_token: str, hooks: str) -> dict[str, dict[str, str]]:
    credentials = {}
    for department in DEPARTMENTS:
        response = httpx.post(f"{gateway}/admin/departments", headers={"authorization": f"Bearer {admin_token}"},
                              json={"department_id": department, "name": department.replace("-", " ").title(),
                                    "webhook_url": f"{hooks}/webhooks/{department}"})
        response.raise_for_status()
        body = response.json()
        credentials[department] = {"api_key": body["api_key"], "webhook_secret": body["webhook_secret"]}
    return credentials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=0, help="stop after this many cases (0: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between new cases")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    state = ROOT / ".jiesu" / "demo"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    admin_token = secrets.token_urlsafe(24)  # made fresh for each run: never written into the repository
    base = int(os.environ.get("JIESU_DEMO_BASE_PORT", "8001"))
    ports = {"intake": base, "dispatch": base + 1, "gateway": base + 2, "audit": base + 3}
    common = {"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(state / "log.sqlite3"),
              "JIESU_ADMIN_TOKEN": admin_token, "JIESU_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"}
    print("Starting intake, dispatch, agency-gateway and audit on the embedded log …", flush=True)
    services = start_services(common, state, ports)
    department_port = base + 9
    processes: dict[str, ServiceProcess] = dict(services)
    try:
        credentials = register_departments(services["gateway"].url, admin_token, f"http://127.0.0.1:{department_port}")
        secrets_file = state / "departments.json"
        secrets_file.write_text(json.dumps(credentials))
        secrets_file.chmod(0o600)
        processes["departments"] = ServiceProcess("jiesu_reference_department", {
            "REFDEPT_PORT": str(department_port), "REFDEPT_GATEWAY_URL": services["gateway"].url,
            "REFDEPT_CREDENTIALS_JSON": str(secrets_file)}, state / "logs" / "departments.log")
        processes["departments"].wait_healthy()
        for name, process in services.items():
            print(f"  {name:<9} {process.url}/docs")
        print(f"  {len(DEPARTMENTS)} departments answer webhooks at http://127.0.0.1:{department_port}; logs in {state}/logs")
        print("Cases arrive every few seconds; each line is an event in the audit timeline. Ctrl-C stops.\n", flush=True)
        run_cases(services, rng, args)
    except KeyboardInterrupt:
        print("\nStopping …")
    finally:
        stop_all(processes)


def run_cases(services: dict[str, ServiceProcess], rng: random.Random, args: argparse.Namespace) -> None:
    shown: dict[str, int] = {}
    submitted, next_case_at = 0, time.monotonic()
    while True:
        if (args.cases == 0 or submitted < args.cases) and time.monotonic() >= next_case_at:
            category, text = rng.choice(REQUESTS)
            district, street, community = rng.choice(PLACES)
            body = {"text": text, "channel": rng.choice(["hotline", "web_board", "wechat"]),
                    "place": {"district": district, "street": street, "community": community}}
            if category:
                body["category"] = category
            created = httpx.post(f"{services['intake'].url}/cases", json=body)
            created.raise_for_status()
            shown[created.json()["case_id"]] = 0
            submitted += 1
            next_case_at = time.monotonic() + args.interval
        for case_id, count in list(shown.items()):
            response = httpx.get(f"{services['audit'].url}/cases/{case_id}/timeline")
            if response.status_code != 200:
                continue
            events = response.json()["events"]
            for event in events[count:]:
                print(f"{event['time'][11:23]}  case {case_id[:8]}  {SHOWN.get(event['type'], event['type']):<18} "
                      f"{describe(event)}", flush=True)
            shown[case_id] = len(events)
            offers = sum(e["type"] == "task.offered.v1" for e in events)
            if offers and offers == sum(e["type"] == "task.accepted.v1" for e in events):
                shown.pop(case_id)  # every offer accepted: this case's story so far is told
        if args.cases and submitted >= args.cases and not shown:
            print(f"\nAll {submitted} cases dispatched, delivered and accepted.")
            return
        time.sleep(0.3)


if __name__ == "__main__":
    main()
