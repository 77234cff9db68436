"""Journey 2: a property firm returns a task (退单) with a reason through the workbench; the coordinator sees it
on the board; the case is returned once more and escalates; the coordinator rules on it (审定) from the case page."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import act, lead_offered, record_case, task_of
from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
FIRM = "property-firm"  # dispatch's default routing for property management


def test_journey_a_returned_task_escalates_and_the_coordinator_rules(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., object]) -> None:
    stack.department(FIRM)
    case_id = record_case(stack, f"小区物业不修楼道灯，已经黑了一周 {secrets.token_hex(3)}")
    task_of(stack, FIRM, case_id)

    sign_in("department", api_key=stack.department(FIRM))
    page.get_by_role("link", name="本单位任务").first.click()
    row = page.get_by_role("row").filter(has_text=case_id[:8])
    expect(row).to_contain_text("物业管理")
    expect(row).to_contain_text("已派发")
    shoot("2-workbench")
    row.get_by_role("link", name="打开").click()
    expect(page.get_by_test_id("task-status")).to_have_text("已派发")
    page.get_by_label("退单原因").select_option(label="不属本单位职责")
    page.get_by_label("说明").fill("楼道灯属社区公共设施，由街道负责")
    page.get_by_label("建议承办单位（编号，如知道）").fill("street-office")
    shoot("2-return-form", keep="department-task.png")
    page.get_by_role("button", name="退单").click()
    expect(page.get_by_role("status")).to_have_text("任务已退回派单。")
    expect(page.get_by_role("row").filter(has_text=case_id[:8])).to_have_count(0)

    second = lead_offered(stack, case_id, other_than=FIRM)  # returned once more: the case escalates
    act(stack, second, task_of(stack, second, case_id)["task_id"], "return",
        {"reason": "not_our_remit", "note": "物业服务合同范围内"})

    page.get_by_role("button", name="退出登录").click()
    sign_in("coordinator")
    page.get_by_role("link", name="调度看板").first.click()
    expect(page.get_by_test_id("count-ruling")).not_to_contain_text("0")
    shoot("2-board", keep="coordinator-board.png")
    page.get_by_test_id("count-ruling").click()
    row = page.get_by_role("row").filter(has_text=case_id[:8])
    expect(row).to_contain_text("不属本单位职责")
    expect(row.locator(".chain .tag")).to_have_count(2)
    row.get_by_role("link", name=case_id[:8]).click()

    expect(page.get_by_test_id("case-state")).to_have_text("待审定")
    expect(page.get_by_text("退单").first).to_be_visible()
    offers = page.get_by_test_id("offers")  # each offer with its outcome and how long the decision took
    expect(offers.get_by_role("row").filter(has_text="property-firm")).to_contain_text("已退单 · 不属本单位职责")
    expect(offers.get_by_role("row").filter(has_text="street-office")).to_contain_text("已退单")
    page.get_by_label("主办单位（编号）").fill("housing")
    page.get_by_label("理由", exact=True).first.fill("审定：楼道公共照明由房管部门牵头")
    shoot("2-ruling", keep="coordinator-case.png")
    page.get_by_role("button", name="审定").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")
    expect(page.get_by_test_id("case-state")).to_have_text("办理中")
    expect(page.get_by_test_id("holders")).to_contain_text("housing")
    task_of(stack, "housing", case_id)  # the department named by the ruling is offered the case
