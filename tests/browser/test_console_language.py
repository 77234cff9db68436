"""Chinese by default, English on request, and never both on one screen (bar the switch naming the other
language in its own words)."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_english_switch_sticks_and_no_screen_mixes_languages(page: Page, sign_in: Callable[..., None],
                                                                 shoot: Callable[..., object]) -> None:
    sign_in("callback")
    page.goto("/operator/callbacks?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Call-back desk: handled cases waiting for the citizen's verdict")
    page.goto("/operator/calls/new")  # the cookie keeps English; this page is not the desk's: 403 in English
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("body").inner_text().replace("中文", "")
    assert not HAN.search(text), text
    shoot("english-403")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    page.goto("/operator/callbacks")
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(Call-back|Handled|Subject|Resolution)\b", body), body


def test_the_coordinators_screens_speak_one_language(page: Page, sign_in: Callable[..., None]) -> None:
    sign_in("coordinator")
    for path, heading in (("/coordinator/board?lang=en", "Board"), ("/coordinator/meetings", "Joint meetings")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        text = page.locator("body").inner_text().replace("中文", "")
        assert not HAN.search(text), text
    page.goto("/coordinator/board?lang=zh_CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("调度看板")
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(Board|Breached|Awaiting|Returned|Whistle|Filter)\b", body), body
