"""Oversized and odd input on every service, as separate processes on the embedded log: a body over the
limit is 413 before anyone is authenticated, declared or chunked, and a 100 MiB body does not grow the
process; a NUL anywhere is 422; paging past what an integer column holds is 422, not 500. Every refusal
is problem+json, and nothing of a refused request reaches the log."""
from __future__ import annotations

import json
import secrets
import string
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.staff import as_role
from tests.support.staffed_stack import OPEN311_KEY, StaffedStack, staffed_stack
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

LIMIT = 64 * 1024  # JIESU_MAX_BODY_BYTES's default
MiB = 1024 * 1024
SERVICES = ("intake", "dispatch", "gateway", "audit")
# A POST route of each service; audit has none, so a POST to it is refused by routing (405) unless the
# declared length alone already tells the body is too large.
POST_ROUTES = {"intake": "/cases", "dispatch": "/meetings", "gateway": "/admin/departments",
               "audit": "/analytics/departments"}
CHUNKED_REFUSAL = {"intake": 413, "dispatch": 413, "gateway": 413, "audit": 405}
DEPARTMENT = "housing"
PLACE = {"district": "Dongcheng", "street": "Jingshan"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffedStack]:
    with staffed_stack(Path(tmp_path_factory.mktemp("limits")), uuid.uuid4().hex[:12]) as running:
        yield running


@pytest.fixture(scope="module")
def department_key(stack: StaffedStack) -> str:
    return stack.register(DEPARTMENT)


def _letters(prefix: str) -> str:
    """A unique word of letters only: digits might be taken for a phone number and sealed."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))


def _marker() -> str:
    return _letters("limitmark")


def _refused_as_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


def _nothing_reached_the_log(stack: StaffedStack, markers: list[str]) -> None:
    """Once a later, accepted write of intake and of dispatch is on the log (each service's relay
    publishes in order), no record carries anything of the refused requests."""
    barriers = [_letters("barrier"), _letters("barrier")]
    admin = {"authorization": f"Bearer {stack.admin_token}"}
    written = [httpx.post(f"{stack.urls['dispatch']}/admin/departments", headers=admin,
                          json={"department_id": barriers[0], "name": "barrier", "kind": "community"}),
               httpx.post(f"{stack.urls['intake']}/cases", headers=as_role("intake"),
                          json={"text": f"路灯坏了 {barriers[1]}", "place": PLACE})]
    assert [w.status_code for w in written] == [201, 201], [w.text for w in written]

    def log_with_barriers() -> bytes | None:
        log = b"\n".join(stack.log_values())
        return log if all(b.encode() in log for b in barriers) else None

    log = eventually(log_with_barriers, timeout=30, what="the barrier writes on the log")
    assert [m for m in markers if m.encode() in log] == []


class Streamed:
    """A request body sent in chunks from a generator, so the test never holds it; counts what was taken."""

    def __init__(self, marker: str, total: int, chunk: int = 64 * 1024) -> None:
        self.marker, self.total, self.chunk, self.sent = marker, total, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        head = f'{{"text": "{self.marker} '.encode()
        self.sent = len(head)
        yield head
        filler = b"a" * self.chunk
        while self.sent < self.total:
            self.sent += self.chunk
            yield filler


@pytest.mark.parametrize("service", SERVICES)
def test_a_body_declared_over_the_limit_is_413_before_authentication(stack: StaffedStack, service: str) -> None:
    marker = _marker()
    body = json.dumps({"text": f"{marker} " + "a" * LIMIT, "place": PLACE}).encode()
    response = httpx.post(stack.urls[service] + POST_ROUTES[service], content=body,
                          headers={"content-type": "application/json"})
    _refused_as_problem(response, 413)
    _nothing_reached_the_log(stack, [marker])


@pytest.mark.parametrize("service", SERVICES)
def test_a_chunked_body_over_the_limit_is_refused_before_authentication(stack: StaffedStack, service: str) -> None:
    marker = _marker()
    response = httpx.post(stack.urls[service] + POST_ROUTES[service], content=iter(Streamed(marker, 2 * LIMIT)),
                          headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers  # sent chunked
    _refused_as_problem(response, CHUNKED_REFUSAL[service])
    _nothing_reached_the_log(stack, [marker])


def _vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "declared"])
@pytest.mark.parametrize("service", SERVICES)
def test_a_100_mib_body_does_not_grow_the_service(stack: StaffedStack, service: str, declared: bool) -> None:
    pid = stack.processes[service].process.pid
    body = Streamed(_marker(), 100 * MiB, chunk=MiB)
    headers = {"content-type": "application/json", **({"content-length": str(100 * MiB)} if declared else {})}
    before = _vm_rss_kib(pid)
    response = httpx.post(stack.urls[service] + POST_ROUTES[service], content=iter(body), headers=headers,
                          timeout=120)
    grown_mib = (_vm_rss_kib(pid) - before) / 1024
    print(f"{service} ({'declared' if declared else 'chunked'}): {response.status_code} after "
          f"{body.sent / MiB:.1f} MiB offered, RSS {before / 1024:.1f} MiB, grew {grown_mib:.2f} MiB")
    _refused_as_problem(response, 413 if declared else CHUNKED_REFUSAL[service])
    assert grown_mib < 20
    _nothing_reached_the_log(stack, [body.marker])


def _nul_requests(stack: StaffedStack, department_key: str, marker: str) -> list[tuple[str, str, dict]]:
    """(service, path, httpx arguments): NUL as a JSON escape, as a raw byte, in a query and in a path,
    and in an Open311 form; with valid credentials and otherwise valid content, so only the NUL refuses."""
    admin = {"authorization": f"Bearer {stack.admin_token}"}
    raw = json.dumps({"text": f"{marker} 路灯坏了", "place": PLACE}).replace(marker, marker + "\x00").encode()
    return [
        ("intake", "/cases", {"json": {"text": f"{marker} \x00 路灯坏了", "place": PLACE}, "headers": as_role("intake")}),
        ("intake", "/cases", {"content": raw, "headers": {"content-type": "application/json", **as_role("intake")}}),
        ("intake", "/open311/v2/requests.json", {"data": {"api_key": OPEN311_KEY, "service_code": "noise",
                                                         "description": f"{marker} \x00", "address_string": "景山"}}),
        ("dispatch", "/admin/departments", {"json": {"department_id": marker, "name": f"{marker}\x00",
                                                     "kind": "community"}, "headers": admin}),
        ("gateway", "/admin/departments", {"json": {"department_id": marker, "name": f"{marker}\x00",
                                                    "webhook_url": f"{stack.hooks_url}/{marker}"},
                                           "headers": admin}),
        ("intake", "/open311/v2/requests.json?service_code=%00", {}),
        ("dispatch", "/cases?status=%00", {"headers": as_role("coordinator")}),
        ("gateway", "/tasks?status=%00", {"headers": {"authorization": f"Bearer {department_key}"}}),
        ("audit", "/analytics/departments?period=%00", {}),
        ("audit", "/cases/%00/timeline", {}),
    ]


def test_a_nul_anywhere_is_422_and_appends_nothing(stack: StaffedStack, department_key: str) -> None:
    marker = _marker()
    for service, path, arguments in _nul_requests(stack, department_key, marker):
        method = "POST" if any(k in arguments for k in ("json", "content", "data")) else "GET"
        response = httpx.request(method, stack.urls[service] + path, **arguments)
        assert response.status_code == 422, f"{service} {path}: {response.status_code} {response.text[:200]}"
        _refused_as_problem(response, 422)
        assert response.json()["type"].endswith("/nul-character"), response.text
    registered = httpx.get(f"{stack.urls['gateway']}/admin/departments/{marker}",
                           headers={"authorization": f"Bearer {stack.admin_token}"})
    assert registered.status_code == 404  # the gateway registers departments in its database, not on the log
    _nothing_reached_the_log(stack, [marker])


def test_a_nul_is_refused_before_authentication(stack: StaffedStack) -> None:
    for service in ("intake", "dispatch", "gateway"):
        response = httpx.post(stack.urls[service] + POST_ROUTES[service], json={"text": "\x00"})
        _refused_as_problem(response, 422)


BEYOND_INT64 = 2**63
MAX_OFFSET = 1_000_000_000  # paging is bounded: a deeper offset is a mistake or a probe


@pytest.mark.parametrize("service,path,caller", [
    ("dispatch", "/cases", "coordinator"),
    ("gateway", "/tasks", "department"),
    ("gateway", "/deliveries", "department"),
    ("gateway", f"/admin/departments/{DEPARTMENT}/deliveries", "admin"),
])
def test_an_offset_beyond_64_bits_is_422_not_500(stack: StaffedStack, department_key: str, service: str, path: str,
                                                 caller: str) -> None:
    token = {"coordinator": None, "department": department_key, "admin": stack.admin_token}[caller]
    headers = as_role(caller) if token is None else {"authorization": f"Bearer {token}"}
    within = httpx.get(stack.urls[service] + path, params={"offset": MAX_OFFSET}, headers=headers)
    assert within.status_code == 200, within.text
    for beyond in (MAX_OFFSET + 1, BEYOND_INT64):
        _refused_as_problem(httpx.get(stack.urls[service] + path, params={"offset": beyond}, headers=headers), 422)
