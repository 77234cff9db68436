"""A console form sent twice acts once. Each render of a command form carries a key of its own (a hidden
field), which the console sends upstream as the command's Idempotency-Key: the same form data posted twice at
once (a double click past the page's guard, a retried request) and once more later (a browser resubmit) shows
the person the first outcome each time, and the services record one whistle, one first contact, one verdict,
one case. A page rendered again carries a new key, so a deliberate second action still acts; and in the page
itself a double click sends the form once."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import act, dispatch_case, record_case, task_of
from tests.browser.stack import ConsoleStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser
LEAD, SUMMONED = "heating-utility", "fire-safety"  # dispatch routes heating to the utility by default
FIELD = "idempotency_key"

# The form as the browser would send it, posted from the page (its session cookie) `times` at once; each
# answer after its redirect: where it landed, and whether it shows a refusal (role=alert) instead.
SEND = """async ([action, times]) => {
  const form = document.querySelector(`form[action="${action}"]`);
  const body = new URLSearchParams(new FormData(form));
  const send = async () => {
    const answer = await fetch(form.action, {method: "POST", body});
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    return {status: answer.status, url: answer.url, refused: page.querySelector('[role="alert"]')?.textContent ?? null};
  };
  return Promise.all(Array.from({length: times}, send));
}"""


def send(page: Page, action: str, times: int) -> list[dict[str, Any]]:
    return page.evaluate(SEND, [action, times])


def twice_at_once_then_again(page: Page, action: str) -> list[dict[str, Any]]:
    """Two sends racing each other, then a late resubmit of the very same form."""
    answers = send(page, action, 2) + send(page, action, 1)
    assert all(a["status"] == 200 and a["refused"] is None for a in answers), answers
    assert len({a["url"] for a in answers}) == 1, answers  # the same outcome shown each time
    return answers


def key_of(page: Page, action: str) -> str:
    return page.locator(f'form[action="{action}"] input[name="{FIELD}"]').input_value()


def whistles(stack: ConsoleStack, case_id: str) -> set[str]:
    return {t["whistle_id"] for t in dispatch_case(stack, case_id)["tasks"] if t["kind"] == "whistle_report_in"}


def fill_whistle(page: Page, reason: str) -> None:
    page.get_by_label("街道办事处（编号）").fill("street-office")
    page.get_by_label("被召集部门（编号，以逗号分隔）").fill(SUMMONED)
    page.get_by_label("报到时限（分钟）").fill("30")
    page.get_by_label("理由", exact=True).nth(1).fill(reason)


def heating_case(stack: ConsoleStack) -> tuple[str, dict[str, Any]]:
    stack.department(LEAD), stack.department(SUMMONED)
    case_id = record_case(stack, f"暖气不热，家里只有十五度 {secrets.token_hex(3)}")
    return case_id, task_of(stack, LEAD, case_id)


def test_a_whistle_form_sent_twice_blows_one_whistle(page: Page, stack: ConsoleStack,
                                                      sign_in: Callable[..., None]) -> None:
    case_id, _ = heating_case(stack)
    sign_in("coordinator")
    page.goto(f"/coordinator/cases/{case_id}")
    fill_whistle(page, "供暖管道漏水，需消防到场")
    answers = twice_at_once_then_again(page, f"/coordinator/cases/{case_id}/whistle")
    assert answers[0]["url"].endswith(f"/coordinator/cases/{case_id}?done=whistle")
    assert len(whistles(stack, case_id)) == 1


def test_a_fresh_render_has_a_fresh_key_and_a_second_whistle_still_blows(page: Page, stack: ConsoleStack,
                                                                         sign_in: Callable[..., None]) -> None:
    case_id, _ = heating_case(stack)
    action = f"/coordinator/cases/{case_id}/whistle"
    sign_in("coordinator")
    page.goto(f"/coordinator/cases/{case_id}")
    first = key_of(page, action)
    page.reload()
    assert key_of(page, action) != first  # one key per render, not per page or per session
    assert len({key_of(page, a) for a in (action, f"/coordinator/cases/{case_id}/dispatch")}) == 2

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith(action) else None)
    sent = key_of(page, action)
    fill_whistle(page, "第一次吹哨")
    page.get_by_role("button", name="吹哨").dblclick()  # the page's own guard: one send
    expect(page.get_by_role("status")).to_have_text("已记录。")
    assert len(posts) == 1, posts
    assert key_of(page, action) != sent  # rendered again after success: a new key

    fill_whistle(page, "第二次吹哨：另一事由")  # a deliberate second whistle acts
    page.get_by_role("button", name="吹哨").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")
    assert len(whistles(stack, case_id)) == 2


def test_a_department_first_contact_sent_twice_is_recorded_once(page: Page, stack: ConsoleStack,
                                                                sign_in: Callable[..., None]) -> None:
    _, task = heating_case(stack)
    act(stack, LEAD, task["task_id"], "accept")
    sign_in("department", api_key=stack.department(LEAD))
    page.goto(f"/department/tasks/{task['task_id']}")
    page.get_by_label("联系市民的方式").fill("电话联系，约定下午上门")
    # without the key the second send would be refused: the task has already responded
    answers = twice_at_once_then_again(page, f"/department/tasks/{task['task_id']}/respond")
    assert answers[0]["url"].endswith(f"/department/tasks/{task['task_id']}?done=respond")
    gateway = httpx.get(f"{stack.urls['gateway']}/tasks/{task['task_id']}",
                        headers={"authorization": f"Bearer {stack.department(LEAD)}"}).json()
    assert gateway["status"] == "responded"


def test_an_operator_verdict_sent_twice_is_recorded_once(page: Page, stack: ConsoleStack,
                                                         sign_in: Callable[..., None]) -> None:
    case_id, task = heating_case(stack)
    act(stack, LEAD, task["task_id"], "accept")
    act(stack, LEAD, task["task_id"], "complete", {"resolution": "已更换循环泵"})
    intake = f"{stack.urls['intake']}/cases/{case_id}"
    eventually(lambda: httpx.get(intake, headers=stack.as_role("callback")).json()["status"] == "awaiting_callback",
               timeout=60, what=f"case {case_id} awaiting its call-back")
    sign_in("callback")
    page.goto(f"/operator/callbacks/{case_id}")
    page.get_by_label("已解决，满意").check()
    page.get_by_label("满意", exact=True).check()
    answers = twice_at_once_then_again(page, f"/operator/callbacks/{case_id}/verdict")
    assert answers[0]["url"].endswith(f"/operator/callbacks/{case_id}")
    assert httpx.get(intake, headers=stack.as_role("callback")).json()["status"] == "called_back"


def test_a_recorded_call_sent_twice_makes_one_case(page: Page, stack: ConsoleStack,
                                                   sign_in: Callable[..., None]) -> None:
    sign_in("intake")
    page.goto("/operator/calls/new")
    page.get_by_label("市民诉求内容").fill(f"小区门口路灯不亮 {secrets.token_hex(3)}")
    page.get_by_label("区", exact=True).fill("东城区")
    page.get_by_label("街道", exact=True).fill("交道口街道")
    answers = twice_at_once_then_again(page, "/operator/calls")
    assert "/operator/calls/" in answers[0]["url"]  # every send landed on one and the same case


def test_a_form_key_edited_by_hand_is_refused_and_acts_not(page: Page, stack: ConsoleStack,
                                                           sign_in: Callable[..., None]) -> None:
    case_id, _ = heating_case(stack)
    action = f"/coordinator/cases/{case_id}/whistle"
    sign_in("coordinator")
    page.goto(f"/coordinator/cases/{case_id}")
    fill_whistle(page, "钥匙被改过的表单")
    page.locator(f'form[action="{action}"] input[name="{FIELD}"]').evaluate("k => { k.value = 'not a key!' }")
    page.get_by_role("button", name="吹哨").click()
    expect(page.get_by_role("alert")).to_have_text("表单已过期或并非来自本控制台。请刷新页面后重试。")
    assert whistles(stack, case_id) == set()


def test_the_same_key_from_another_person_is_theirs_alone(page: Page, stack: ConsoleStack,
                                                          sign_in: Callable[..., None]) -> None:
    """Dispatch keeps each caller's keys apart: a key that a colleague's form sent does not replay their answer."""
    case_id, _ = heating_case(stack)
    action = f"/coordinator/cases/{case_id}/whistle"
    sign_in("coordinator")
    page.goto(f"/coordinator/cases/{case_id}")
    key = key_of(page, action)
    fill_whistle(page, "同一把钥匙，两个人")
    page.get_by_role("button", name="吹哨").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")
    page.get_by_role("button", name="退出登录").click()

    sign_in("admin")
    page.goto(f"/coordinator/cases/{case_id}")
    page.locator(f'form[action="{action}"] input[name="{FIELD}"]').evaluate("(k, key) => { k.value = key }", key)
    fill_whistle(page, "同一把钥匙，两个人")
    page.get_by_role("button", name="吹哨").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")
    assert len(whistles(stack, case_id)) == 2
