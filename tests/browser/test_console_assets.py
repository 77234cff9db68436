"""What the console serves needs no network and no build step: htmx is the pinned file whose hash is recorded,
and every label the pages and code use has its zh-CN translation in the catalogue. (No browser needed.)"""
from __future__ import annotations

import base64
import hashlib
import io
import re
from importlib import resources
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

PACKAGE = Path(str(resources.files("jiesu_console")))
HTMX = "htmx-2.0.4.min.js"


def recorded_hash() -> str:
    source = (PACKAGE / "static" / "htmx-SOURCE.txt").read_text()
    return re.search(r"^sha384-\S+$", source, re.MULTILINE).group(0)  # type: ignore[union-attr]


def test_htmx_is_the_pinned_file_and_the_page_asks_for_exactly_that_hash() -> None:
    digest = base64.b64encode(hashlib.sha384((PACKAGE / "static" / HTMX).read_bytes()).digest()).decode()
    assert recorded_hash() == f"sha384-{digest}"
    base = (PACKAGE / "templates" / "base.html").read_text()
    assert f'src="/static/{HTMX}" integrity="sha384-{digest}"' in base


def test_no_page_loads_anything_from_another_origin() -> None:
    for template in (PACKAGE / "templates").rglob("*.html"):
        assert not re.search(r"""(src|href)=["'](https?:)?//""", template.read_text()), template


def used_messages() -> set[str | tuple[str, ...]]:
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python"), ("**/templates/**.html", babel_extract)],
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords={"_": None, "N_": None, "ngettext": (1, 2)})
    return {message for _file, _line, message, _comments, _context in found}


def test_every_label_has_its_chinese_translation() -> None:
    with (PACKAGE / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale="zh_CN")
    translated = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalogue if m.id}
    missing = [m for m in used_messages() if not translated.get(m) or translated[m] in ("", ("",))]
    assert not missing, f"add to messages.po: {missing}"
    assert not any(m.fuzzy for m in catalogue if m.id), "a fuzzy translation is not used at run time"


def test_the_catalogue_is_as_babel_writes_it() -> None:
    """Sorted, 120 columns: whoever adds a message with Babel's writer (or by hand, in place) changes only it."""
    raw = (PACKAGE / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po").read_bytes()
    rewritten = io.BytesIO()
    write_po(rewritten, read_po(io.BytesIO(raw), locale="zh_CN"), sort_output=True, width=120)
    assert rewritten.getvalue() == raw, "rewrite messages.po with babel's write_po(sort_output=True, width=120)"
