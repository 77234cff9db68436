"""The main operator journey by keyboard alone: the skip link comes first, the form's fields follow in
reading order, and the check and save buttons work with Enter."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

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
