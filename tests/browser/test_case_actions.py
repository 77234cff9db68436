"""The case page's other actions, in context: release a supporting department, blow the whistle (吹哨); the
board counts the whistle down; the summoned department reports in through its workbench, and a report-in that
someone else already made reads as a sentence, not a status code."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import act, record_case, task_of
from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
SUMMONED, ALSO = "fire-safety", "urban-management"


def open_report_in(page: Page, sign_in: Callable[..., None], stack: ConsoleStack, department: str,
                   case_id: str) -> None:
    sign_in("department", api_key=stack.department(department))
    page.get_by_role("link", name="本单位任务").first.click()
    page.get_by_role("row").filter(has_text=case_id[:8]).filter(has_text="吹哨报到").get_by_role("link").click()
    expect(page.get_by_test_id("task-status")).to_have_text("已派发")


def test_release_whistle_and_report_in(page: Page, stack: ConsoleStack, sign_in: Callable[..., None],
                                       shoot: Callable[..., object]) -> None:
    stack.department(SUMMONED), stack.department(ALSO)
    street = f"景山{secrets.randbelow(10**6):06d}街道"  # a street of its own: the board filters by it
    case_id = record_case(stack, f"物业电梯停运一周，楼里老人下不了楼 {secrets.token_hex(3)}", street=street)
    task_of(stack, "housing", case_id)  # offered to the firm (lead) and housing (supporting)

    sign_in("coordinator")
    page.goto(f"/coordinator/cases/{case_id}")
    expect(page.get_by_test_id("holders")).to_contain_text("housing")
    page.get_by_label("解除housing的原因").fill("电梯维修由物业独立完成")
    page.get_by_role("button", name="解除").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")
    expect(page.get_by_test_id("tasks").get_by_role("row").filter(has_text="housing")).to_contain_text("派单方已撤回")

    page.get_by_label("街道办事处（编号）").fill("street-office")
    page.get_by_label("被召集部门（编号，以逗号分隔）").fill(f"{SUMMONED}，{ALSO}")
    page.get_by_label("报到时限（分钟）").fill("30")
    page.get_by_label("理由", exact=True).nth(1).fill("电梯困人隐患，需消防到场")
    page.get_by_role("button", name="吹哨").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")

    page.goto(f"/coordinator/board?street={street}")
    expect(page.get_by_test_id("count-whistles")).to_contain_text("1")
    page.get_by_test_id("count-whistles").click()
    row = page.get_by_role("row").filter(has_text=case_id[:8])
    expect(row).to_contain_text("剩余")
    expect(row).to_contain_text("分钟")
    expect(row).to_contain_text(f"尚未报到：{SUMMONED}、{ALSO}")
    shoot("whistle-on-the-board")
    page.get_by_role("button", name="退出登录").click()

    open_report_in(page, sign_in, stack, SUMMONED, case_id)
    page.get_by_label("何人到达何处").fill("消防站两人到达三号楼")
    page.get_by_role("button", name="报到", exact=True).click()
    expect(page.get_by_test_id("task-status")).to_have_text("已报到")
    page.get_by_role("button", name="退出登录").click()

    open_report_in(page, sign_in, stack, ALSO, case_id)
    task = task_of(stack, ALSO, case_id, kind="whistle_report_in")
    act(stack, ALSO, task["task_id"], "report-in", {"note": "值班员已先行报到"})  # a colleague, meanwhile
    page.get_by_label("何人到达何处").fill("城管队员到达")
    page.get_by_role("button", name="报到", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("未完成。任务当前状态下无法执行此操作；任务可能刚刚发生了变化。")
    expect(page.get_by_test_id("task-status")).to_have_text("已报到")
    shoot("report-in-refused")

    page.get_by_role("button", name="退出登录").click()
    sign_in("coordinator")
    page.goto(f"/coordinator/board?street={street}")
    expect(page.get_by_test_id("count-whistles")).to_contain_text("0")


def test_the_board_counts_update_without_reloading(page: Page, stack: ConsoleStack,
                                                  sign_in: Callable[..., None]) -> None:
    street = f"和平{secrets.randbelow(10**6):06d}街道"
    sign_in("coordinator")
    page.goto(f"/coordinator/board?street={street}")
    expect(page.get_by_test_id("count-state-open")).to_contain_text("0")
    page.evaluate("window.stillTheSamePage = true")
    record_case(stack, f"物业把消防通道锁了 {secrets.token_hex(3)}", street=street)
    expect(page.get_by_test_id("count-state-open")).to_contain_text("1", timeout=60_000)
    assert page.evaluate("window.stillTheSamePage === true")  # htmx swapped the counts in; no reload
