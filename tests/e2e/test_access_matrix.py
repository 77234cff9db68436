"""Who may see what, walked over every operation of every service's OpenAPI document, on the four services
as separate processes with a real case in flight: no credential, a garbage token, each role that may not
use a route, another department's key — each refused with problem+json that gives nothing of the case
away — and each role that may use it let through. The expected rules are the test's own (access_matrix)."""
from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jiesu_shared.access import ADMIN, CONTACT, COORDINATOR, DISCLOSURE, RESEARCHER, STAFF_ROLES
from jiesu_audit.domain.times import period_of
from tests.support.access_matrix import (DEPARTMENT, MATRIX, OPEN311_CLIENT, PUBLIC, Operation, Rule, by_shape,
                                         shape)
from tests.support.route_walk import RealIds, comparable, documented, fill, required_query
from tests.support.staff import as_role
from tests.support.staffed_stack import OPEN311_KEY, StaffedStack, staffed_stack
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

MARKER = "walkmark" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))  # no digits: not a phone
PHONE = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
ADDRESS = "东城区沙滩北街27号"
TEXT = f"楼上漏水三天了，物业不管 {MARKER} 请回电 {PHONE}"
CASE_SECRETS = (MARKER, PHONE, ADDRESS, TEXT)
FIRM, STRANGER = "property-firm", "fire-safety"  # the case goes to FIRM by the default routing rules
# Valid bodies for a department's actions on a task, so that only whose task it is can refuse them.
# (`reject` is the deprecated alias of `return`.)
TASK_ACTIONS = {"return": {"reason": "not_our_remit"}, "reject": {"reason": "not_our_remit"},
                "respond": {"note": "called"}, "progress": {"note": "on it"}, "complete": {"resolution": "done"},
                "report-in": {"note": "here"}}


@dataclass
class Walk:
    stack: StaffedStack
    ids: RealIds
    firm: dict[str, str]  # the firm's API key as headers
    stranger: dict[str, str]  # a department with no part in the case

    def operations(self) -> list[tuple[Operation, Rule, str]]:
        """Every documented operation the matrix classifies, its rule and its path with real ids;
        deletions last, as they end what the others read."""
        rules, found = by_shape(), []
        for service, url in self.stack.urls.items():
            for (s, m, p), query in required_query(service, url).items():
                if (s, m, shape(p)) in rules:
                    found.append(((s, m, p), rules[(s, m, shape(p))], fill(p, self.ids, query)))
        return sorted(found, key=lambda entry: entry[0][1] == "DELETE")

    def call(self, operation: Operation, path: str, headers: dict[str, str] | None = None,
             form: dict[str, str] | None = None, body: dict | None = None) -> httpx.Response:
        service, method, _ = operation
        return httpx.request(method, self.stack.urls[service] + path, headers=headers, data=form, json=body,
                             timeout=30)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _in_flight(stack: StaffedStack) -> Walk:
    """Two departments, a case carrying the marker, a phone and an address, dispatched and offered to the firm."""
    firm, stranger = stack.register(FIRM), stack.register(STRANGER)
    created = httpx.post(f"{stack.urls['intake']}/cases", headers=as_role("intake"), json={
        "text": TEXT, "category": "property_management", "contact": {"phone": PHONE},
        "place": {"district": "Dongcheng", "street": "Jingshan", "address": ADDRESS}})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    offer = eventually(lambda: next((d for d in stack.receiver.for_department(FIRM) if d.body["type"] == "task.offered"
                                     and d.body["data"]["case_id"] == case_id), None), timeout=30, what="the offer")
    coordinator = as_role(COORDINATOR)
    eventually(lambda: httpx.get(f"{stack.urls['dispatch']}/cases/{case_id}", headers=coordinator).status_code == 200,
               timeout=30, what="dispatch to show the case")
    eventually(lambda: httpx.get(f"{stack.urls['audit']}/cases/{case_id}/timeline",
                                 headers=coordinator).status_code == 200, timeout=30, what="audit's timeline")
    citizen_id = httpx.get(f"{stack.urls['intake']}/cases/{case_id}", headers=as_role(CONTACT)).json()["citizen_id"]
    meeting = httpx.post(f"{stack.urls['dispatch']}/meetings", headers=coordinator, json={
        "street_office": "street-office", "participants": [FIRM], "case_ids": [case_id],
        "scheduled_at": datetime.now(UTC).isoformat()})
    assert meeting.status_code == 201, meeting.text
    ids = RealIds(case_id=case_id, task_id=offer.body["data"]["task_id"], department_id=FIRM,
                  meeting_id=meeting.json()["meeting_id"], citizen_id=citizen_id, service_code="property_management",
                  month=period_of(datetime.now(UTC), "month"), place="Dongcheng/Jingshan")
    return Walk(stack=stack, ids=ids, firm=_bearer(firm), stranger=_bearer(stranger))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    with staffed_stack(Path(tmp_path_factory.mktemp("access-walk")), uuid.uuid4().hex[:12]) as stack:
        yield _in_flight(stack)


def _refused(response: httpx.Response, expected: int, what: str, *, problem: bool = True) -> list[str]:
    """What is wrong with a refusal: its status, its media type, or any trace of the case in it."""
    wrong = []
    if response.status_code != expected:
        wrong.append(f"{what}: {response.status_code}, expected {expected}: {response.text[:160]}")
    media = response.headers.get("content-type", "")
    if problem and not media.startswith("application/problem+json"):
        wrong.append(f"{what}: answered {media!r}, not problem+json")
    wrong += [f"{what}: the refusal shows {secret!r}" for secret in CASE_SECRETS if secret in response.text]
    return wrong


def test_every_documented_operation_is_classified_with_the_roles_it_declares(walk: Walk) -> None:
    declared = {(s, m, shape(p)): rule for s, url in walk.stack.urls.items() for (s, m, p), rule in
                documented(s, url).items()}
    expected = {op: comparable(rule) for op, rule in by_shape().items()}
    assert sorted(declared.keys() - expected.keys()) == [], "routes the matrix does not classify"
    assert sorted(expected.keys() - declared.keys()) == [], "classified routes the documents lack"
    differing = {op: (rule, expected[op]) for op, rule in declared.items() if rule != expected[op]}
    assert differing == {}, "declared (document, matrix) roles differ"


def test_without_the_right_credential_every_route_refuses_and_shows_nothing_of_the_case(walk: Walk) -> None:
    wrong: list[str] = []
    for operation, rule, path in walk.operations():
        name = f"{operation[1]} {operation[0]}{path}"
        if rule == OPEN311_CLIENT:
            for form in ({"service_code": walk.ids.service_code}, {"service_code": "x", "api_key": "garbage"}):
                wrong += _refused(walk.call(operation, path, form=form), 403, f"{name} {form}", problem=False)
            continue
        if rule == PUBLIC:
            continue
        wrong += _refused(walk.call(operation, path), 401, f"{name} without a credential")
        wrong += _refused(walk.call(operation, path, _bearer("garbage-" + secrets.token_hex(8))), 401,
                          f"{name} with a garbage token")
        if rule == DEPARTMENT:  # staff tokens, the admin token included, are no department's key
            for role in STAFF_ROLES:
                wrong += _refused(walk.call(operation, path, as_role(role)), 401, f"{name} as {role}")
            wrong += _refused(walk.call(operation, path, _bearer(walk.stack.admin_token)), 401, f"{name} as admin token")
            continue
        wrong += _refused(walk.call(operation, path, walk.firm), 401, f"{name} with a department's key")
        for role in sorted(set(STAFF_ROLES) - set(rule)):
            wrong += _refused(walk.call(operation, path, as_role(role)), 403, f"{name} as {role}")
        if ADMIN not in rule:  # JIESU_ADMIN_TOKEN is principal "admin", with no role but admin
            wrong += _refused(walk.call(operation, path, _bearer(walk.stack.admin_token)), 403, f"{name} as admin token")
    assert not wrong, "\n".join(wrong)


def test_another_departments_key_finds_nothing_of_the_firms_task(walk: Walk) -> None:
    wrong: list[str] = []
    for operation, rule, path in walk.operations():
        if rule == DEPARTMENT and "{task_id}" in operation[2]:
            body = TASK_ACTIONS.get(path.rsplit("/", 1)[-1])
            wrong += _refused(walk.call(operation, path, walk.stranger, body=body), 404,
                              f"{operation[1]} {path} as {STRANGER}")
    for listing in ("/tasks", "/deliveries", "/me"):
        own = httpx.get(walk.stack.urls["gateway"] + listing, headers=walk.stranger)
        assert own.status_code == 200, own.text
        assert not [s for s in (*CASE_SECRETS, walk.ids.case_id, walk.ids.task_id) if s in own.text], listing
    assert not wrong, "\n".join(wrong)


def _let_through(response: httpx.Response, method: str, what: str) -> list[str]:
    if method == "GET":
        return [] if response.status_code == 200 else [f"{what}: {response.status_code} {response.text[:160]}"]
    if response.status_code in (401, 403):
        return [f"{what}: refused with {response.status_code} {response.text[:160]}"]
    return []


def _shown_to(response: httpx.Response, role: str, what: str) -> list[str]:
    """Researchers see nothing of a case; only the contact role (and the disclosure service) see the phone."""
    hidden = CASE_SECRETS if role == RESEARCHER else () if role in (CONTACT, DISCLOSURE) else (PHONE,)
    return [f"{what}: shows {secret!r} to {role}" for secret in hidden if secret in response.text]


def _follow_rotation(walk: Walk, path: str, response: httpx.Response) -> None:
    """The firm signs in with its newest key once one is issued, as a department would."""
    if path.endswith("/api-key/rotate") and response.status_code == 200:
        walk.firm["authorization"] = f"Bearer {response.json()['api_key']}"


def test_each_role_a_route_allows_gets_through(walk: Walk) -> None:
    wrong: list[str] = []
    for operation, rule, path in walk.operations():
        method, name = operation[1], f"{operation[1]} {operation[0]}{path}"
        if rule == PUBLIC:
            wrong += _let_through(walk.call(operation, path), method, f"{name} without a credential")
        elif rule == OPEN311_CLIENT:
            wrong += _let_through(walk.call(operation, path, form={"api_key": OPEN311_KEY}), method, f"{name} with a key")
        elif rule == DEPARTMENT:
            response = walk.call(operation, path, walk.firm)
            _follow_rotation(walk, path, response)
            wrong += _let_through(response, method, f"{name} as {FIRM}")
            wrong += [f"{name} as {FIRM}: 404 on its own task"] if response.status_code == 404 else []
        else:
            for role in rule:
                response = walk.call(operation, path, as_role(role))
                _follow_rotation(walk, path, response)
                wrong += _let_through(response, method, f"{name} as {role}") + _shown_to(response, role, name)
    assert not wrong, "\n".join(wrong)


def test_health_and_the_openapi_documents_are_open(walk: Walk) -> None:
    for url in walk.stack.urls.values():
        for path in ("/health", "/docs", "/openapi.json"):
            assert httpx.get(url + path).status_code == 200, url + path


def test_the_public_read_surface_shows_nothing_of_the_case(walk: Walk) -> None:
    intake = walk.stack.urls["intake"]
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{walk.ids.case_id}.json"):
        shown = httpx.get(intake + path)
        assert shown.status_code == 200 and walk.ids.case_id in shown.text
        assert [s for s in CASE_SECRETS if s in shown.text] == [], path


def test_the_matrix_names_only_roles_that_exist() -> None:
    for rule in MATRIX.values():
        assert isinstance(rule, str) or set(rule) <= set(STAFF_ROLES), rule
