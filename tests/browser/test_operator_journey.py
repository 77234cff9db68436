"""Journey 1: an operator records a call, a second call about the same place shows as a possible duplicate
before it is saved, and a call no rule understands is triaged by the triage desk."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def record_call(page: Page, text: str, community: str) -> None:
    page.goto("/operator/calls/new")
    page.get_by_label("来源渠道").select_option(label="热线来电")
    page.get_by_label("市民诉求内容").fill(text)
    page.get_by_label("区", exact=True).fill("东城区")
    page.get_by_label("街道", exact=True).fill("景山街道")
    page.get_by_label("社区（可选）").fill(community)
    page.get_by_role("button", name="核对分类与重复").click()


def test_journey_record_a_call_see_the_duplicate_and_triage(page: Page, sign_in: Callable[..., None],
                                                            shoot: Callable[..., object]) -> None:
    community = f"吉祥{secrets.randbelow(10**6):06d}社区"  # a fresh place: the stack is shared by the session's tests
    sign_in("intake")
    record_call(page, "小区楼道灯坏了，物业一直不来修", community)
    expect(page.get_by_test_id("subject")).to_have_text("物业管理")
    expect(page.get_by_test_id("no-duplicate")).to_be_visible()
    page.get_by_role("button", name="保存案件").click()
    expect(page.get_by_role("heading", name="案件已登记")).to_be_visible()
    first_case = page.locator("code").text_content() or ""

    record_call(page, "物业还是没修楼道的灯", community)
    duplicate = page.get_by_test_id("duplicate")
    expect(duplicate).to_contain_text("可能重复")
    expect(duplicate).to_contain_text(first_case[:8])
    expect(duplicate).to_contain_text("小区楼道灯坏了")
    shoot("1-duplicate-before-saving", keep="operator-record-call.png")
    page.get_by_role("button", name="保存案件").click()
    expect(page.get_by_text(f"可能与案件 {first_case[:8]} 重复")).to_be_visible()

    vague = "门口那件事我也说不清楚，想问问"
    record_call(page, vague, community)
    expect(page.get_by_test_id("subject")).to_have_text("未分类")
    page.get_by_role("button", name="保存案件").click()
    expect(page.get_by_role("heading", name="案件已登记")).to_be_visible()
    vague_case = page.locator("code").text_content() or ""

    page.get_by_role("button", name="退出登录").click()
    sign_in("triage")
    page.get_by_role("link", name="分类").first.click()
    row = page.get_by_role("row").filter(has_text=community)
    expect(row).to_contain_text("门口那件事")
    shoot("1-triage-queue", keep="operator-triage.png")
    row.get_by_label("问题类别").select_option(label="噪声")
    row.get_by_label("紧急程度").select_option(label="一般")
    row.get_by_label("理由").fill("夜间施工噪声")
    row.get_by_role("button", name="分类").click()
    expect(page.get_by_role("status")).to_have_text(f"案件 {vague_case[:8]} 已分类。")
    expect(page.get_by_role("row").filter(has_text=community)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/operator/triage\?done="))


def test_an_incomplete_call_is_not_saved_and_the_missing_fields_are_named(page: Page,
                                                                         sign_in: Callable[..., None]) -> None:
    sign_in("intake")
    page.goto("/operator/calls/new")
    page.get_by_label("市民诉求内容").fill("楼道灯坏了")
    page.get_by_label("街道", exact=True).fill("景山街道")
    page.get_by_role("button", name="核对分类与重复").click()
    expect(page.get_by_role("alert")).to_have_text("尚未核对。请检查：区。")
    expect(page.get_by_role("button", name="保存案件")).to_have_count(0)
