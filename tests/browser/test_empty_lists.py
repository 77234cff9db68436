"""An empty page of a list says which of three things is true — nothing yet, nothing matches the filters (with a
way to clear them), or the page lies past the end (how many there are, links to the last and first page) — in
both languages. The one macro every list uses, rendered as the console renders it (no browser needed)."""
from __future__ import annotations

import re

import pytest

from jiesu_console import i18n
from jiesu_console.pages import template_environment

CALL = """{% from "_empty_list.html" import empty_list %}{{ empty_list(
    _("No meetings yet."), _("No meetings match these filters."), filtered, "/coordinator/meetings",
    total=total, page=page, page_size=50, page_href="/coordinator/meetings?status=open&",
    count=ngettext("%(num)d meeting", "%(num)d meetings", total)) }}"""


def empty(language: str, *, total: int, page: int = 1, filtered: bool = False) -> str:
    i18n.activate(language)
    html = template_environment().from_string(CALL).render(total=total, page=page, filtered=filtered)
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_nothing_yet_says_only_that(language: str) -> None:
    html = empty(language, total=0)
    assert ("No meetings yet." if language == "en" else "尚无会议。") in html
    assert "href" not in html


def test_nothing_matching_the_filters_says_so_and_offers_to_clear_them() -> None:
    assert empty("en", total=0, filtered=True) == ('<p class="empty-list">No meetings match these '
                                                  'filters. <a href="/coordinator/meetings">Clear the filters</a></p>')
    assert "没有符合筛选条件的会议。" in empty("zh_CN", total=0, filtered=True)


def test_a_page_past_the_end_says_how_many_there_are_and_links_to_the_last_and_first_page() -> None:
    html = empty("en", total=51, page=9, filtered=True)
    assert "Page 9 is past the end of the list: it holds 51 meetings." in html
    assert '<a href="/coordinator/meetings?status=open&amp;page=2">Go to the last page (page 2)</a>' in html
    assert '<a href="/coordinator/meetings?status=open&amp;page=1">Go to the first page</a>' in html
    assert "第 9 页已超出列表末尾：列表共有 51 次会议。" in empty("zh_CN", total=51, page=9)


def test_past_the_end_of_a_one_page_list_links_only_to_its_first_page() -> None:
    html = empty("en", total=1, page=3)
    assert "it holds 1 meeting." in html and "last page" not in html and "page=1" in html
