"""Journey 3: a coordinator convenes a joint meeting (联席会议) whose three decisions become tasks; three
departments complete them through the workbench; the meeting page shows each done, and an overdue one stands
out until it is done."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import record_case, task_of
from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("Asia/Shanghai")
OWNERS = ("fire-safety", "street-office", "urban-management")


def local(delta: timedelta) -> str:
    return (datetime.now(ZONE) + delta).strftime("%Y-%m-%dT%H:%M:%S")


def complete_in_workbench(page: Page, sign_in: Callable[..., None], stack: ConsoleStack, department: str,
                          case_id: str, resolution: str, shoot: Callable[..., object] | None = None) -> None:
    sign_in("department", api_key=stack.department(department))
    page.get_by_role("link", name="本单位任务").first.click()
    row = page.get_by_role("row").filter(has_text=case_id[:8]).filter(has_text="联席会议决定事项")
    if shoot is not None:  # the overdue one, shown so on the workbench too
        expect(row).to_contain_text("已逾期")
        expect(page.get_by_role("status")).to_contain_text("1 项任务已逾期")
        shoot("3-workbench-overdue", keep="department-workbench.png")
    row.get_by_role("link", name="打开").click()
    page.get_by_role("button", name="接单").click()
    expect(page.get_by_test_id("task-status")).to_have_text("已接单")
    page.get_by_label("办理结果").fill(resolution)
    page.get_by_role("button", name="办结任务").click()
    expect(page.get_by_test_id("task-status")).to_have_text("已办结")
    page.get_by_role("button", name="退出登录").click()


def open_meeting(page: Page, sign_in: Callable[..., None], meeting_url: str) -> None:
    sign_in("coordinator")
    page.goto(meeting_url)


def test_journey_a_joint_meeting_follows_its_decisions_to_done(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    for owner in OWNERS:
        stack.department(owner)
    case_id = record_case(stack, f"楼道堆满杂物，消防通道被堵，多次反映无果 {secrets.token_hex(3)}")
    task_of(stack, "fire-safety", case_id)  # dispatched

    sign_in("coordinator")
    page.get_by_role("link", name="联席会议").first.click()
    page.get_by_label("街道办事处（编号）").fill("street-office")  # the unit convening it; the coordinator is the person
    page.get_by_label("参会单位（编号，以逗号分隔）").fill("、".join(OWNERS))
    page.get_by_label("议题案件（编号，以逗号分隔）").fill(case_id)
    page.get_by_label("时间").fill(local(timedelta(0))[:16].replace("T", " "))
    page.get_by_role("button", name="召开").click()
    expect(page.get_by_test_id("meeting-state")).to_have_text("进行中")
    expect(page.get_by_test_id("street-office")).to_have_text("street-office")
    expect(page.get_by_test_id("convened-by")).to_have_text("coordinator-desk")
    meeting_url = page.url
    decisions = (("消防部门一周内清理楼道杂物", "fire-safety", timedelta(days=7)),
                 ("街道组织居民签订承诺书", "street-office", timedelta(days=7)),
                 ("城管当日核查楼外违规堆放", "urban-management", timedelta(seconds=40)))
    for text, owner, within in decisions:
        page.get_by_label("决定事项", exact=True).fill(text)
        page.get_by_label("责任单位（编号）").fill(owner)
        page.get_by_label("期限", exact=True).fill(local(within))
        page.get_by_role("button", name="记录决定").click()
        expect(page.get_by_role("status")).to_have_text("已记录。")
    expect(page.get_by_test_id("decision")).to_have_count(3)
    page.get_by_role("button", name="退出登录").click()

    for text, owner, _within in decisions[:2]:
        complete_in_workbench(page, sign_in, stack, owner, case_id, f"已完成：{text}")

    open_meeting(page, sign_in, meeting_url)
    rows = page.get_by_test_id("decision")
    for text, _owner, _within in decisions[:2]:
        expect(rows.filter(has_text=text)).to_contain_text("已办结")
    late = rows.filter(has_text=decisions[2][0])
    expect(late).to_contain_text("已逾期", timeout=90_000)  # the table refreshes itself when the deadline passes
    expect(late).to_have_class("overdue")
    shoot("3-meeting-overdue", keep="coordinator-meeting.png")
    page.get_by_role("button", name="退出登录").click()

    complete_in_workbench(page, sign_in, stack, "urban-management", case_id, "已核查并清理", shoot)
    open_meeting(page, sign_in, meeting_url)
    for text, _owner, _within in decisions:
        expect(rows.filter(has_text=text)).to_contain_text("已办结")
    expect(page.get_by_text("已逾期")).to_have_count(0)
    page.get_by_role("link", name="可打印的会议纪要").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("联席会议纪要")
    expect(page.get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_test_id("street-office")).to_have_text("street-office")  # who convened: the unit, the person
    expect(page.get_by_test_id("convened-by")).to_have_text("coordinator-desk")
    shoot("3-minutes", keep="coordinator-meeting-minutes.png")
    page.get_by_role("link", name="返回会议").click()
    page.get_by_role("button", name="宣布休会").click()
    expect(page.get_by_test_id("meeting-state")).to_have_text("已休会")
    expect(page.get_by_role("button", name="记录决定")).to_have_count(0)
