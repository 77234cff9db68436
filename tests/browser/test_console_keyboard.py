"""The main journeys by keyboard alone: recording a call (the skip link comes first, the form's fields follow in
reading order, the check and save buttons work with Enter) and a department handling a task on its workbench."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.journeys import record_case, task_of
from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser


def test_recording_a_call_by_keyboard_alone(page: Page, sign_in: Callable[..., None]) -> None:
    sign_in("intake")
    page.goto("/operator/calls/new")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.get_by_label("来源渠道").focus()
    keys = page.keyboard
    for value in ("楼道灯坏了，物业不管", "东城区", "景山街道", f"键盘{secrets.randbelow(10**6):06d}社区"):
        keys.press("Tab")
        keys.type(value)
    expect(page.get_by_label("社区（可选）")).to_be_focused()
    for _ in range(4):  # address, name, phone, then the check button
        keys.press("Tab")
    expect(page.get_by_role("button", name="核对分类与重复")).to_be_focused()
    keys.press("Enter")
    expect(page.get_by_test_id("subject")).to_have_text("物业管理")
    keys.press("Tab")
    expect(page.get_by_role("button", name="保存案件")).to_be_focused()
    keys.press("Enter")
    expect(page.get_by_role("heading", name="案件已登记")).to_be_visible()


def tab_to(page: Page, target: Locator, limit: int = 25) -> None:
    """Press Tab until `target` has the focus, as a person would; fail if it is not reachable."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reachable by Tab")


def test_a_department_handles_a_task_by_keyboard_alone(page: Page, stack: ConsoleStack,
                                                       sign_in: Callable[..., None]) -> None:
    case_id = record_case(stack, f"楼道灯坏了，物业一直不修 {secrets.token_hex(3)}")
    task_of(stack, "property-firm", case_id)
    sign_in("department", api_key=stack.department("property-firm"))
    page.goto("/department/tasks")
    tab_to(page, page.get_by_role("row").filter(has_text=case_id[:8]).get_by_role("link"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="接单"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("task-status")).to_have_text("已接单")
    tab_to(page, page.get_by_label("联系市民的方式"))
    page.keyboard.type("电话联系，约定明早上门")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="记录首次联系")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("task-status")).to_have_text("已联系市民")
    tab_to(page, page.get_by_label("办理结果"))
    page.keyboard.type("已更换楼道灯")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="办结任务")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("task-status")).to_have_text("已办结")
