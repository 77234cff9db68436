"""GET /meetings with a city's year of joint meetings, dispatch in process on SQLite: CPU time and bytes per answer.

    python simulator/src/jiesu_simulator/bench/meeting_list.py seed DIR [MEETINGS]   # convene them over the API
    python simulator/src/jiesu_simulator/bench/meeting_list.py measure DIR [ROUNDS]  # prints a JSON row per query

Seed once (with either version), copy DIR, and measure each version on its own copy, alternating: a version
that keeps a list table builds it from the ledger on its first start, which `measure` does before timing."""
from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from jiesu_shared.catalogue.common import Place
from jiesu_shared.catalogue.intake import CaseReceived
from jiesu_shared.events import Envelope, utc_now

from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings

ADMIN = {"Authorization": "Bearer admin-secret"}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OFFICES = [f"street-office-{n:02d}" for n in range(20)]
QUERIES = {"default": {}, "open, one office": {"status": "open", "street_office": OFFICES[3]},
           "limit 500": {"limit": 500}, "last page": {"offset": 1950}}


def client_on(directory: Path) -> TestClient:
    settings = DispatchSettings(embedded_log_path=str(directory / "log.sqlite3"), topic="cases",
                                database_url=f"sqlite:///{directory}/dispatch.sqlite3", admin_token="admin-secret",
                                staff=[{"id": "wang.li", "token": "wang-secret", "roles": ["coordinator"]}],
                                timer_recheck_seconds=3600)
    return TestClient(build_app(settings, clock=lambda: START), headers={"Authorization": "Bearer wang-secret"})


def seed(directory: Path, meetings: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with client_on(directory) as client:
        for office in OFFICES:
            client.post("/admin/departments", headers=ADMIN,
                        json={"department_id": office, "name": office, "kind": "street_office"}).raise_for_status()
        service = client.app.state.service  # type: ignore[attr-defined]
        cases = []
        for _ in range(100):  # each meeting has one case on its agenda; every fourth records a decision on it
            fact = CaseReceived(case_id=str(uuid.uuid4()), channel="hotline", text="楼道堆物", category="fire",
                                place=Place(district="Dongcheng", street="Jingshan"), received_at=START)
            envelope = Envelope(id=str(uuid.uuid4()), source="/bench", type=fact.__event_type__, subject=fact.case_id,
                                time=utc_now(), sequence=1, correlationid=str(uuid.uuid4()),
                                data=fact.model_dump(mode="json"))
            with service.database.transaction() as session:
                service.bus.consume(session, envelope, fact)
            cases.append(fact.case_id)
        for n in range(meetings):
            case_id = cases[n % len(cases)]
            made = client.post("/meetings", json={"street_office": OFFICES[n % len(OFFICES)], "participants": ["housing"],
                                                  "case_ids": [case_id],
                                                  "scheduled_at": (START + timedelta(hours=4 * n)).isoformat()})
            made.raise_for_status()
            meeting_id = made.json()["meeting_id"]
            if n % 4 == 0:
                client.post(f"/meetings/{meeting_id}/decisions", json={
                    "case_id": case_id, "text": "清理楼道", "owner_department": "fire-safety",
                    "deadline": (START + timedelta(days=7)).isoformat()}).raise_for_status()
            if n % 2 == 0:
                client.post(f"/meetings/{meeting_id}/adjourn", json={}).raise_for_status()


def measure(directory: Path, rounds: int) -> None:
    with client_on(directory) as client:
        paged = "meetings" in client.get("/meetings", params={"limit": 1}).json()  # the list table is built now
        for name, params in QUERIES.items():
            if not paged and params:
                continue  # the unpaged version answers everything to every query
            cpu, size = [], 0
            for _ in range(rounds):
                began = time.process_time()
                answer = client.get("/meetings", params=params)
                cpu.append((time.process_time() - began) * 1000)
                answer.raise_for_status()
                size = len(answer.content)
            body = answer.json()
            shown = len(body["meetings"]) if paged else len(body)
            print(json.dumps({"version": "paged" if paged else "unpaged", "query": name, "cpu_ms": round(statistics.median(cpu), 1),
                              "bytes": size, "meetings_shown": shown, "total": body["total"] if paged else shown}))


if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "seed":
        seed(where, int(sys.argv[3]) if len(sys.argv) > 3 else 2000)
    else:
        measure(where, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
