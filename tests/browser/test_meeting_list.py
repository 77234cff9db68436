"""A coordinator finds a street office's joint meetings (联席会议) among a city's many: the list shows a page at a
time, the latest scheduled first, says how many there are, and filters by street office and by state; the
filters stay in force from page to page."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import record_case
from tests.browser.stack import ConsoleStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser
MEETINGS = 53  # more than a page (50)


def street_office(stack: ConsoleStack) -> str:
    """A street office of its own in dispatch's directory: other tests' meetings share the stack."""
    office = f"street-office-{secrets.token_hex(3)}"
    httpx.post(f"{stack.urls['dispatch']}/admin/departments", headers={"authorization": f"Bearer {stack.admin_token}"},
               json={"department_id": office, "name": office, "kind": "street_office"}).raise_for_status()
    return office


def convene(stack: ConsoleStack, office: str, case_id: str, scheduled_at: datetime) -> str:
    answer = httpx.post(f"{stack.urls['dispatch']}/meetings", headers=stack.as_role("coordinator"),
                        json={"street_office": office, "participants": ["urban-management"], "case_ids": [case_id],
                              "scheduled_at": scheduled_at.isoformat()})
    answer.raise_for_status()
    return answer.json()["meeting_id"]


def case_dispatch_has(stack: ConsoleStack, text: str) -> str:
    """A recorded case, once dispatch has read it (a meeting can only name a case dispatch knows)."""
    case_id = record_case(stack, text)
    eventually(lambda: httpx.get(f"{stack.urls['dispatch']}/cases/{case_id}",
                                 headers=stack.as_role("coordinator")).is_success, timeout=60, what="dispatch has the case")
    return case_id


def test_a_coordinator_pages_and_filters_the_meetings(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    office = street_office(stack)
    case_id = case_dispatch_has(stack, f"小区路灯坏了一个月没人修 {secrets.token_hex(3)}")
    start = datetime.now(UTC) + timedelta(days=1)
    first = convene(stack, office, case_id, start)
    for n in range(1, MEETINGS):
        convene(stack, office, case_id, start + timedelta(days=n))
    latest = convene(stack, office, case_id, start + timedelta(days=MEETINGS))  # the latest scheduled
    httpx.post(f"{stack.urls['dispatch']}/meetings/{first}/adjourn", headers=stack.as_role("coordinator"),
               json={}).raise_for_status()

    sign_in("coordinator")
    page.get_by_role("link", name="联席会议").first.click()
    search = page.get_by_role("search", name="筛选会议")
    search.get_by_label("街道办事处").fill(office)
    search.get_by_role("button", name="筛选").click()
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_have_text(f"{MEETINGS + 1} 次会议 · 显示第 1–50 次，最晚安排的在前")
    expect(table.locator("tbody tr")).to_have_count(50)
    expect(table.locator("tbody tr").first.get_by_role("link")).to_have_attribute(
        "href", f"/coordinator/meetings/{latest}")
    expect(page.get_by_role("link", name="上一页")).to_have_count(0)
    shoot("meetings-first-page")
    page.get_by_role("link", name="下一页").click()
    expect(table.locator("caption")).to_have_text(f"{MEETINGS + 1} 次会议 · 显示第 51–54 次，最晚安排的在前")
    expect(table.locator("tbody tr")).to_have_count(MEETINGS + 1 - 50)
    expect(table.locator("tbody tr").last.get_by_role("link")).to_have_attribute(
        "href", f"/coordinator/meetings/{first}")  # the earliest scheduled comes last
    expect(page.get_by_role("link", name="下一页")).to_have_count(0)
    expect(search.get_by_label("街道办事处")).to_have_value(office)  # the filter stays in force
    page.get_by_role("link", name="上一页").click()
    expect(table.locator("tbody tr")).to_have_count(50)

    search.get_by_label("状态").select_option(label="已休会")
    search.get_by_role("button", name="筛选").click()
    expect(table.locator("caption")).to_have_text("1 次会议")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("已休会")
    expect(page.get_by_role("navigation", name="会议列表分页")).to_have_count(0)
    shoot("meetings-filtered")
    search.get_by_label("街道办事处").fill(f"{office}-nowhere")
    search.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合筛选条件的会议。")).to_be_visible()


def test_an_empty_page_of_the_meetings_says_why_and_leads_back_to_meetings(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    """A page past the end (an old link, a list grown shorter) says so and how many there are, and links to the
    last and the first page; filters that match nothing say so, and clearing them shows the meetings again."""
    office = street_office(stack)
    case_id = case_dispatch_has(stack, f"楼道堆放杂物堵塞消防通道 {secrets.token_hex(3)}")
    start = datetime.now(UTC) + timedelta(days=1)
    earliest = convene(stack, office, case_id, start)
    for n in range(1, 51):  # 51 meetings: two pages, the second holding the earliest alone
        convene(stack, office, case_id, start + timedelta(days=n))

    sign_in("coordinator")
    page.goto(f"/coordinator/meetings?street_office={office}&page=9")
    expect(page.get_by_text("第 9 页已超出列表末尾：列表共有 51 次会议。")).to_be_visible()
    expect(page.get_by_text("尚无会议")).to_have_count(0)
    expect(page.get_by_role("navigation", name="会议列表分页")).to_have_count(0)  # no "previous" into emptiness
    shoot("meetings-past-the-end")
    page.get_by_role("link", name="转到最后一页（第 2 页）").click()
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").get_by_role("link")).to_have_attribute("href", f"/coordinator/meetings/{earliest}")
    expect(page.get_by_role("search", name="筛选会议").get_by_label("街道办事处")).to_have_value(office)

    page.go_back()
    page.get_by_role("link", name="转到第一页").click()
    expect(table.locator("caption")).to_have_text("51 次会议 · 显示第 1–50 次，最晚安排的在前")
    expect(table.locator("tbody tr")).to_have_count(50)

    search = page.get_by_role("search", name="筛选会议")
    search.get_by_label("状态").select_option(label="已休会")  # none of this office's meetings is adjourned
    search.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合筛选条件的会议。")).to_be_visible()
    expect(table).to_have_count(0)
    shoot("meetings-no-match")
    page.get_by_role("link", name="清除筛选条件").click()
    expect(table.locator("tbody tr")).to_have_count(50)  # every street office's meetings again, a page of them
    expect(search.get_by_label("街道办事处")).to_have_value("")
    expect(search.get_by_label("状态")).to_have_value("")
