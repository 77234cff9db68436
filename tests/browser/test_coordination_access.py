"""Who may open the coordinators' and departments' pages: for each staff role and a department, every such
page answers 403 (a page saying so) unless the role may see it, and the navigation shows only what it may open."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from jiesu_shared.access import ADMIN, COORDINATOR, RESEARCHER, STAFF_ROLES

from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
DEPARTMENT = "department"
COORDINATORS = {COORDINATOR, ADMIN}
PAGES = {  # path -> who may open it
    "/department/tasks": {DEPARTMENT},
    "/department/tasks/some-task": {DEPARTMENT},
    "/coordinator/board": COORDINATORS,
    "/coordinator/board/counts": COORDINATORS,
    "/coordinator/board/lists/ruling": COORDINATORS,
    "/coordinator/cases/some-case": COORDINATORS,
    "/coordinator/meetings": COORDINATORS,
    "/coordinator/meetings/some-meeting": COORDINATORS,
    "/coordinator/meetings/some-meeting/minutes": COORDINATORS,
    "/coordinator/directory": COORDINATORS | {RESEARCHER},
    "/coordinator/pictures": COORDINATORS | {RESEARCHER},
}
NAV = {"本单位任务": {DEPARTMENT}, "调度看板": COORDINATORS, "联席会议": COORDINATORS,
       "单位名录与派单规则": COORDINATORS | {RESEARCHER}, "图表分析": COORDINATORS | {RESEARCHER}}


def check(page: Page, role: str) -> None:
    for path, allowed in PAGES.items():
        response = page.goto(path)
        assert response is not None
        if role in allowed:
            assert response.status in (200, 404), f"{role} on {path}: {response.status}"  # some-* do not exist
        else:
            assert response.status == 403, f"{role} on {path}: {response.status}"
            expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    page.goto("/")
    nav = page.get_by_role("navigation", name="主导航")
    for name, allowed in NAV.items():
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(1 if role in allowed else 0)


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_each_staff_role_opens_only_its_coordination_pages(page: Page, sign_in: Callable[..., None],
                                                          role: str) -> None:
    sign_in(role)
    check(page, role)


def test_a_department_opens_only_its_workbench(page: Page, stack: ConsoleStack, sign_in: Callable[..., None]) -> None:
    sign_in(DEPARTMENT, api_key=stack.department("property-firm"))
    check(page, DEPARTMENT)


def test_a_form_on_the_new_pages_needs_its_csrf_token(page: Page, stack: ConsoleStack,
                                                     sign_in: Callable[..., None]) -> None:
    sign_in(COORDINATOR)
    for path, form in (("/coordinator/meetings", {"participants": "x", "case_ids": "y", "scheduled_at": "z"}),
                       ("/coordinator/cases/any/dispatch", {"lead_department": "x", "reason": "y"})):
        refused = page.request.post(f"{stack.console_url}{path}", form=form)
        assert refused.status == 403 and "表单已过期或并非来自本控制台" in refused.text()
