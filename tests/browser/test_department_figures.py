"""A department without IT sees its own figures on the console: after the heating utility handles a case and
the citizen's verdict is recorded, its page shows its three rates, its place in the ranking and its median
times in Chinese, as audit counts them, this month and a chosen month side by side. When audit cannot be
reached the page says so in a sentence."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from deploy.local_stack import ServiceProcess, free_port, start_console, start_services, stop_all
from tests.browser.journeys import act, task_of
from tests.browser.stack import ConsoleStack
from tests.support.staff import staff_env
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser
UTILITY = "heating-utility"  # dispatch's default routing for heating
UNAVAILABLE = "暂时无法显示本单位指标，请几分钟后再试；办理任务不受影响。"


def _handled_with_a_verdict(stack: ConsoleStack) -> None:
    answer = httpx.post(f"{stack.urls['intake']}/cases", headers=stack.as_role("intake"), json={
        "text": f"暖气不热，室温十五度 {secrets.token_hex(3)}", "category": "heating",
        "place": {"district": "东城区", "street": "交道口街道"}})
    answer.raise_for_status()
    case_id = answer.json()["case_id"]
    task_id = task_of(stack, UTILITY, case_id)["task_id"]
    steps = (("accept", None), ("respond", {"note": "已电话联系"}), ("complete", {"resolution": "已排气"}))
    for action, body in steps:
        act(stack, UTILITY, task_id, action, body)
    callback = stack.as_role("callback")
    eventually(lambda: any(c["case_id"] == case_id for c in httpx.get(
        f"{stack.urls['intake']}/callback-queue", headers=callback).json()), timeout=60, what="the call-back queue")
    httpx.post(f"{stack.urls['intake']}/cases/{case_id}/callback", headers=callback,
               json={"outcome": "resolved_satisfied", "satisfaction": "satisfied"}).raise_for_status()


def _audit_row(stack: ConsoleStack, month: str) -> dict | None:
    ranking = httpx.get(f"{stack.urls['audit']}/analytics/three-rates", params={"month": month},
                        headers=stack.as_role("coordinator")).json()
    return next((r for r in ranking["departments"] if r["department"] == UTILITY), None)


def _row(page: Page, header: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header, exact=True)).first


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_the_workbench_shows_the_departments_own_figures_in_chinese(
        page: Page, stack: ConsoleStack, sign_in: Callable[..., None], shoot: Callable[..., Path]) -> None:
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    before = (_audit_row(stack, month) or {"counted": {"satisfaction": 0}})["counted"]["satisfaction"]
    _handled_with_a_verdict(stack)
    expected = eventually(lambda: (row := _audit_row(stack, month)) and row["counted"]["satisfaction"] > before
                          and row, timeout=60, what="the verdict in audit's three rates")

    sign_in("department", api_key=stack.department(UTILITY))
    page.get_by_role("link", name="本单位任务").first.click()
    page.get_by_role("link", name="本单位指标：三率与办理用时").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("本单位指标")
    expect(page.get_by_role("columnheader", name=f"{month}（本月）")).to_be_visible()
    for name, code in (("响应率", "response"), ("解决率", "resolution"), ("满意率", "satisfaction")):
        expect(_row(page, name)).to_contain_text(_percent(expected[f"{code}_rate"]))
    expect(_row(page, "综合得分")).to_contain_text(_percent(expected["composite"]))
    expect(_row(page, "排名")).to_contain_text(f"第 {expected['rank']} 名")
    for name in ("接单或退单用时中位数", "联系诉求人用时中位数", "办结用时中位数"):
        expect(_row(page, name)).not_to_contain_text("—")
        expect(_row(page, name)).to_contain_text("件任务")
    expect(page.get_by_text("Response rate")).to_have_count(0)  # no English on the Chinese page
    shoot("department-figures")

    earlier = "2025-01"
    page.get_by_label("对比月份").fill(earlier)
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_role("columnheader", name=earlier, exact=True)).to_be_visible()
    expect(_row(page, "响应率").get_by_role("cell").nth(0)).to_contain_text("—")  # nothing was offered then
    expect(_row(page, "响应率").get_by_role("cell").nth(1)).to_contain_text(_percent(expected["response_rate"]))
    shoot("department-figures-two-months")


@dataclass
class AuditlessDesk:
    """A gateway whose audit is not there, and a console in front of it: a department's sign-in and key."""
    console_url: str
    api_key: str


@pytest.fixture
def auditless(stack: ConsoleStack, tmp_path: Path) -> Iterator[AuditlessDesk]:
    admin = secrets.token_urlsafe(18)
    gateway = start_services({"JIESU_BUS": "embedded", "JIESU_EMBEDDED_LOG_PATH": str(tmp_path / "log.sqlite3"),
                              "JIESU_ADMIN_TOKEN": admin, **staff_env(),
                              "JIESU_AUDIT_URL": f"http://127.0.0.1:{free_port()}"},  # nothing listens there
                             tmp_path, only=["gateway"])
    processes: dict[str, ServiceProcess] = dict(gateway)
    try:
        others = {n: p for n, p in stack.processes.items() if n in ("intake", "dispatch", "audit")}
        processes["console"] = start_console({**others, **gateway}, tmp_path)
        key = httpx.post(f"{gateway['gateway'].url}/admin/departments", headers={"authorization": f"Bearer {admin}"},
                         json={"department_id": UTILITY, "name": UTILITY})
        key.raise_for_status()
        yield AuditlessDesk(processes["console"].url, key.json()["api_key"])
    finally:
        stop_all(processes)


def test_when_audit_cannot_be_reached_the_page_says_so_in_a_sentence(browser: Browser, auditless: AuditlessDesk,
                                                                     tmp_path: Path) -> None:
    context = browser.new_context(base_url=auditless.console_url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("单位 API 密钥").fill(auditless.api_key)
        page.get_by_role("button", name="承办单位登录").click()
        response = page.goto("/department/figures")
        assert response is not None and response.status == 503
        expect(page.get_by_role("alert")).to_have_text(UNAVAILABLE)
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "department-figures-unavailable.png"), full_page=True)
    finally:
        context.close()
