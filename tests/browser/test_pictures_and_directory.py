"""The pictures (三率 ranking with its weights, the hand-over network, delays, outcomes, recurring problems) and
the directory with the routing rules in force, as a coordinator and a researcher see them."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import act, record_case, task_of
from tests.browser.stack import ConsoleStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser


def test_the_pictures_show_the_rates_weights_and_who_returned_to_whom(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    case_id = record_case(stack, f"小区电梯又坏了，物业不修 {secrets.token_hex(3)}")
    act(stack, "property-firm", task_of(stack, "property-firm", case_id)["task_id"], "return",
        {"reason": "not_our_remit", "suggested_department": "street-office"})
    eventually(lambda: any(e["from"] == "property-firm" for e in httpx.get(
        f"{stack.urls['audit']}/analytics/handovers", headers=stack.as_role("researcher")).json()["edges"]),
        timeout=60, what="audit to see the return")

    sign_in("researcher")
    page.get_by_role("link", name="图表分析").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("图表分析")
    expect(page.get_by_text("现行权重：")).to_contain_text("响应率 20%")
    expect(page.get_by_text("现行权重：")).to_contain_text("满意率 40%")
    network = page.get_by_role("region", name="退单流向")
    expect(network.get_by_role("row").filter(has_text="property-firm").first).to_be_visible()
    expect(network.get_by_role("img", name="退单流向")).to_be_visible()
    expect(page.get_by_role("region", name="同一地点反复出现的问题")).to_be_visible()
    for delay in ("签收用时", "首次联系用时", "办结用时"):  # delays per department: median and p90 of each
        expect(page.get_by_role("heading", name=delay)).to_be_visible()
    expect(page.get_by_test_id("time_to_decide_seconds").get_by_role("row").filter(has_text="property-firm")).to_be_visible()
    shoot("pictures", keep="coordinator-pictures.png")


def test_the_directory_shows_the_routing_rules_in_force_on_a_date(
        page: Page, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    sign_in("coordinator")
    page.get_by_role("link", name="单位名录与派单规则").first.click()
    rules = page.get_by_role("row").filter(has_text="property")
    expect(rules.first).to_contain_text("物业管理")
    expect(rules.first).to_contain_text("property-firm")
    page.get_by_label("生效日期").fill("2026-11-30")
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_text("2026-11-30 日终时生效的版本。")).to_be_visible()
    shoot("directory", keep="coordinator-directory.png")
