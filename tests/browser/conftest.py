"""Browser tests: Debian's Chromium driven by Playwright against the four services and the console, each its
own process (`stack`, once per session). Each test gets a fresh browser context (no cookies), a tablet-sized
page in zh-CN, `sign_in(role)` and `shoot(name)` for screenshots under its tmp dir."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser.stack import ConsoleStack
from tests.support.staff import TOKENS

CHROMIUM = "/usr/bin/chromium"  # Debian's; deploy/chromium.sh installs it (./jiesu test runs it)
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    running = ConsoleStack.start(tmp_path_factory.mktemp("console-stack"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run deploy/chromium.sh (./jiesu test does)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, stack: ConsoleStack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.console_url, viewport=TABLET, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page: Page) -> Callable[[str], None]:
    """Sign in through the sign-in page: a staff role's token, or `department:<id>` with its API key."""

    def go(who: str, api_key: str | None = None) -> None:
        page.goto("/sign-in")
        if api_key is not None:
            page.get_by_label("单位 API 密钥").fill(api_key)
            page.get_by_role("button", name="承办单位登录").click()
        else:
            page.get_by_label("工作人员令牌").fill(TOKENS[who])
            page.get_by_role("button", name="工作人员登录").click()
        expect(page.get_by_role("button", name="退出登录")).to_be_visible()

    return go


@pytest.fixture
def shoot(page: Page, tmp_path: Path) -> Callable[..., Path]:
    """Save a full-page screenshot under the test's tmp dir; with JIESU_KEEP_SCREENSHOTS=1, `keep=` also
    copies it to docs/screenshots (the README's pictures)."""

    def take(name: str, keep: str | None = None) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep and os.environ.get("JIESU_KEEP_SCREENSHOTS") == "1":
            target = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / keep
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        return path

    return take
