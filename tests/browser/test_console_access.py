"""Who may open which operator page: for each staff role and a department, every operator page answers 403
(a page saying so) unless the role may see it; the navigation shows only what the role may open. And a form
posted without its CSRF token is refused."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from jiesu_shared.access import STAFF_ROLES

from tests.browser.stack import ConsoleStack

pytestmark = pytest.mark.browser
PAGES = {"/operator/calls/new": "intake", "/operator/triage": "triage", "/operator/callbacks": "callback"}
NAV = {"intake": "登记来电", "triage": "分类", "callback": "回访台"}


def check_pages(page: Page, role: str) -> None:
    for path, allowed in PAGES.items():
        response = page.goto(path)
        assert response is not None
        if role == allowed:
            assert response.status == 200, f"{role} on {path}"
            expect(page.get_by_role("heading", level=1)).not_to_have_text("无权访问")
        else:
            assert response.status == 403, f"{role} on {path}: {response.status}"
            expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
            expect(page.get_by_role("alert")).to_have_text("您的角色无权查看此页面或执行此操作。")
    nav = page.get_by_role("navigation", name="主导航")
    for role_with_page, name in NAV.items():
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(1 if role == role_with_page else 0)


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r not in NAV] + list(NAV))
def test_each_staff_role_sees_only_its_operator_pages(page: Page, sign_in: Callable[..., None], role: str) -> None:
    sign_in(role)
    if role not in NAV:  # no operator page: none in the navigation (coordinators have pages of their own)
        for name in NAV.values():
            expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
        for path in PAGES:
            response = page.goto(path)
            assert response is not None and response.status == 403, f"{role} on {path}"
        return
    check_pages(page, role)


def test_a_department_gets_403_on_every_operator_page(page: Page, stack: ConsoleStack,
                                                       sign_in: Callable[..., None]) -> None:
    sign_in("department", api_key=stack.department("property-firm"))
    expect(page.get_by_role("heading", name="欢迎，property-firm")).to_be_visible()
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 403, path


def test_without_a_session_every_page_leads_to_sign_in(page: Page) -> None:
    for path in PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", name="登录")).to_be_visible()
        assert "next=" in page.url


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, stack: ConsoleStack,
                                                         sign_in: Callable[..., None]) -> None:
    sign_in("callback")
    # the page's own form works: its token is in it
    page.goto("/operator/callbacks")
    expect(page.get_by_role("heading", level=1)).to_contain_text("回访台")
    without = page.request.post(f"{stack.console_url}/operator/callbacks/any-case/reopen", form={"reason": "x"})
    forged = page.request.post(f"{stack.console_url}/operator/callbacks/any-case/reopen",
                               form={"reason": "x", "csrf_token": "forged"})
    header = page.request.post(f"{stack.console_url}/sign-out", headers={"x-csrf-token": "forged"})
    for refused in (without, forged, header):
        assert refused.status == 403
        assert "表单已过期或并非来自本控制台" in refused.text()
    page.goto("/operator/callbacks")  # still signed in: nothing was done
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_signing_in_without_the_forms_token_is_refused(page: Page, stack: ConsoleStack) -> None:
    from tests.support.staff import TOKENS
    answer = page.request.post(f"{stack.console_url}/sign-in/token", form={"token": TOKENS["intake"]})
    assert answer.status == 403


def test_signing_out_ends_the_session(page: Page, sign_in: Callable[..., None]) -> None:
    sign_in("intake")
    cookie = next(c for c in page.context.cookies() if c["name"] == "jiesu_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.context.add_cookies([{**cookie}])  # the old cookie, replayed, opens nothing
    page.goto("/operator/calls/new")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
