"""Journey 4: the call-back desk records an unhappy verdict and reopens the case, which goes back to dispatch
(offered to the lead department again)."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.stack import ConsoleStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser
LEAD = "heating-utility"  # dispatch's default routing for heating


def offered_task(stack: ConsoleStack, key: str, case_id: str) -> dict:
    def probe() -> dict | None:
        tasks = httpx.get(f"{stack.urls['gateway']}/tasks", params={"case_id": case_id, "status": "offered"},
                          headers={"authorization": f"Bearer {key}"}).json()["tasks"]
        return next(iter(tasks), None)

    return eventually(probe, timeout=60, what=f"a task offered to {LEAD}")


def handled_case(stack: ConsoleStack, resolution: str) -> str:
    """A heating case recorded, then accepted and completed by the utility over the gateway's task API."""
    key = stack.department(LEAD)
    case = httpx.post(f"{stack.urls['intake']}/cases", headers=stack.as_role("intake"), json={
        "text": "暖气不热，家里只有十五度", "place": {"district": "东城区", "street": "交道口街道"}})
    case.raise_for_status()
    case_id = case.json()["case_id"]
    task = offered_task(stack, key, case_id)
    for action, body in (("accept", None), ("complete", {"resolution": resolution})):
        httpx.post(f"{stack.urls['gateway']}/tasks/{task['task_id']}/{action}", json=body,
                   headers={"authorization": f"Bearer {key}"}).raise_for_status()
    return case_id


def test_journey_an_unhappy_verdict_reopens_the_case(page: Page, stack: ConsoleStack, sign_in: Callable[..., None],
                                                     shoot: Callable[..., object]) -> None:
    resolution = f"已更换循环泵 {secrets.token_hex(3)}"
    case_id = handled_case(stack, resolution)
    sign_in("callback")
    page.get_by_role("link", name="回访台").first.click()
    row = page.get_by_role("row").filter(has_text=resolution)
    expect(row).to_contain_text("供暖")
    expect(row).to_contain_text(LEAD)
    shoot("4-callback-queue", keep="operator-callback-queue.png")
    row.get_by_role("link", name="回访").click()

    expect(page.get_by_test_id("status")).to_have_text("待回访")
    page.get_by_label("已解决，不满意").check()
    page.get_by_label("不满意", exact=True).check()
    shoot("4-verdict-form", keep="operator-callback-verdict.png")
    page.get_by_role("button", name="记录回访结果").click()
    expect(page.get_by_test_id("status")).to_have_text("已回访")
    expect(page.get_by_test_id("verdict")).to_have_text("已解决，不满意 / 不满意")

    page.get_by_label("重启原因").fill("室温仍只有十六度")
    page.get_by_role("button", name="重启案件").click()
    expect(page.get_by_role("status")).to_have_text(f"案件 {case_id[:8]} 已重启，重新派单。")
    expect(page.get_by_role("row").filter(has_text=resolution)).to_have_count(0)
    page.goto(f"/operator/callbacks/{case_id}")
    expect(page.get_by_test_id("status")).to_have_text("已重启")
    shoot("4-reopened")
    # back at dispatch: the lead department is offered the case again
    offered_task(stack, stack.department(LEAD), case_id)
