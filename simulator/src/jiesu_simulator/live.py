"""Live mode: drive running services over HTTP the way a district would.

Citizens' requests arrive from the scenario's subject mix; departments (the reference department
client, given each department's behaviour, time-scaled) accept, return, respond and complete over
signed webhooks and the task API; a call-back desk works intake's queue and records each citizen's
verdict from the seed's outcome mix, reopening some of the unhappy ones.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from jiesu_simulator.scenario import Scenario
from jiesu_simulator.stories import TEXTS, VAGUE

CHANNELS = {"hotline": 0.6, "web_board": 0.2, "wechat": 0.1, "grid_patrol": 0.1}
SATISFACTION = {"resolved_satisfied": "satisfied", "satisfied_unresolved": "basically_satisfied"}


def department_behaviours(scenario: Scenario, seconds_per_hour: float) -> dict[str, dict]:
    """The reference department's per-department behaviour, with scenario hours squeezed into seconds."""
    out = {}
    for department in scenario.departments:
        b = department.behaviour
        reasons = [reason for reason, _weight in b.return_reasons]
        out[department.department_id] = {
            "decide_after_seconds": round(b.decide_minutes / 60 * seconds_per_hour, 3),
            "return_rate": b.return_rate, "return_reasons": reasons,
            "respond_after_seconds": round(b.respond_hours * seconds_per_hour, 3),
            "complete_after_seconds": round(b.complete_hours * seconds_per_hour, 3),
        }
    return out


def new_request(scenario: Scenario, rng: random.Random) -> dict:
    """One citizen's request: subject from the calibrated mix; vague ones carry no category."""
    subject = rng.choices(list(scenario.subjects), weights=[v[0] for v in scenario.subjects.values()])[0]
    street = rng.choice(scenario.streets)
    vague = rng.random() < scenario.vague_rate / 3
    body = {"text": VAGUE if vague else TEXTS[subject],
            "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
            "place": {"district": scenario.district, "street": street.name,
                      "community": rng.choice(street.communities)}}
    if not vague:
        body["category"] = subject
    return body


@dataclass
class LiveDistrict:
    scenario: Scenario
    rng: random.Random
    intake_url: str
    operator_token: str
    reopen_rate: float = 0.3  # of unhappy verdicts, the share of citizens who ask to reopen

    @property
    def operator_headers(self) -> dict[str, str]:
        """The hotline desk's token: it records requests and works the call-back queue."""
        return {"authorization": f"Bearer {self.operator_token}"}

    def new_request(self) -> dict:
        return new_request(self.scenario, self.rng)

    def submit(self, client: httpx.Client) -> str:
        response = client.post(f"{self.intake_url}/cases", json=self.new_request(), headers=self.operator_headers)
        response.raise_for_status()
        return response.json()["case_id"]

    def work_callback_queue(self, client: httpx.Client) -> list[tuple[str, str]]:
        """Call back every handled case; return (case id, what happened) for each."""
        headers = self.operator_headers
        queue = client.get(f"{self.intake_url}/callback-queue", headers=headers)
        queue.raise_for_status()
        done = []
        for entry in queue.json():
            outcome = self.rng.choices(list(self.scenario.outcomes), weights=list(self.scenario.outcomes.values()))[0]
            verdict = {"outcome": outcome, "satisfaction": SATISFACTION.get(outcome, "dissatisfied")}
            if outcome == "unresolvable":
                reasons = self.scenario.unresolvable_reasons
                verdict["unresolvable_reason"] = self.rng.choices(list(reasons), weights=list(reasons.values()))[0]
            case = f"{self.intake_url}/cases/{entry['case_id']}"
            client.post(f"{case}/callback", json=verdict, headers=headers).raise_for_status()
            unhappy = verdict["satisfaction"] == "dissatisfied"
            if unhappy and entry["reopen_count"] == 0 and self.rng.random() < self.reopen_rate:
                client.post(f"{case}/reopen", json={"reason": "the citizen says it is not fixed"},
                            headers=headers).raise_for_status()
                done.append((entry["case_id"], f"{outcome} → reopened"))
            else:
                client.post(f"{case}/close", headers=headers).raise_for_status()
                done.append((entry["case_id"], outcome))
        return done
