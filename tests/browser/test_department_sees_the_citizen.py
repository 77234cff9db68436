"""A department without IT finds on its task page what it needs to reach the citizen — the exact address,
the gazetteer's address code an Open311 client sent, the phone — while its task is live, and no longer once
the task is completed (the gateway stops disclosing them)."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import act, task_of
from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
FIRM = "property-firm"  # dispatch's default routing for property management


def test_the_citizen_is_on_the_task_page_only_while_the_task_is_live(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None]) -> None:
    address, address_id = f"交道口南大街{secrets.randbelow(900) + 100}号", f"BJ-DC-{secrets.token_hex(4)}"
    answer = httpx.post(f"{stack.urls['intake']}/cases", headers=stack.as_role("intake"), json={
        "text": f"楼道灯坏了，物业一直不修 {secrets.token_hex(3)}", "category": "property_management",
        "place": {"district": "东城区", "street": "交道口街道", "address": address, "address_id": address_id},
        "contact": {"name": "王芳", "phone": "13800002222"}})
    answer.raise_for_status()
    task_id = task_of(stack, FIRM, answer.json()["case_id"])["task_id"]

    sign_in("department", api_key=stack.department(FIRM))
    page.goto(f"/department/tasks/{task_id}")
    expect(page.get_by_test_id("address")).to_have_text(address)
    expect(page.get_by_test_id("address-id")).to_have_text(address_id)
    expect(page.get_by_test_id("phone")).to_have_text("13800002222")
    expect(page.get_by_text("地址编码（地名地址库）")).to_be_visible()

    for action, body in (("accept", None), ("respond", {"note": "已电话联系"}), ("complete", {"resolution": "已修好"})):
        act(stack, FIRM, task_id, action, body)
    page.reload()
    expect(page.get_by_test_id("task-status")).to_have_text("已办结")
    expect(page.get_by_test_id("address")).to_have_count(0)
    expect(page.get_by_test_id("address-id")).to_have_count(0)
    expect(page.get_by_text(address_id)).to_have_count(0)
