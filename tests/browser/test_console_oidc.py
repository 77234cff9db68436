"""Staff sign in to the console through the city's OpenID Connect provider (Keycloak with the test realm):
the authorization code flow with PKCE, back to the page they asked for, their roles from the token as the
services verify it; the console's own calls then carry that access token."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TABLET
from tests.browser.stack import ConsoleStack
from tests.support.keycloak import password_of

pytestmark = [pytest.mark.browser, pytest.mark.oidc]


@pytest.fixture(scope="module")
def oidc_stack(oidc_issuer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    running = ConsoleStack.start(tmp_path_factory.mktemp("console-oidc"), env={"JIESU_OIDC_ISSUER": oidc_issuer})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def oidc_page(browser: Browser, oidc_stack: ConsoleStack) -> Iterator[Page]:
    context = browser.new_context(base_url=oidc_stack.console_url, viewport=TABLET, locale="zh-CN")
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_an_operator_signs_in_with_the_city_account_and_works(oidc_page: Page, tmp_path: Path) -> None:
    page = oidc_page
    page.goto("/operator/triage")  # not signed in: to the sign-in page, remembering where to go
    page.get_by_role("link", name="使用市统一身份账号登录").click()
    page.locator("#username").fill("op-wang")  # Keycloak's own login page
    page.locator("#password").fill(password_of("op-wang"))
    page.locator("#kc-login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人工分类：规则未能分类的案件")  # fetched with the token
    expect(page.locator(".person")).to_have_text("op-wang")
    nav = page.get_by_role("navigation", name="主导航")
    for name in ("登记来电", "分类", "回访台"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.screenshot(path=str(tmp_path / "oidc-signed-in.png"), full_page=True)
    # the console's cookies (Keycloak's own, on the same host, are its business)
    cookies = {c["name"]: c for c in page.context.cookies() if c["name"].startswith("jiesu")}
    assert "jiesu_oidc_pending" not in cookies and cookies["jiesu_session"]["httpOnly"]
    assert all("eyJ" not in c["value"] for c in cookies.values())  # no token ever reaches the browser


def test_a_forged_callback_is_refused(oidc_page: Page) -> None:
    response = oidc_page.goto("/sign-in/oidc/callback?code=made-up&state=made-up")
    assert response is not None and response.status == 403
    expect(oidc_page.get_by_role("alert")).to_have_text("登录未能完成，请重新开始。")
