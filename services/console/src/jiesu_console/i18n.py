"""Every label through a message catalogue (Babel/gettext). The catalogues are the `.po` files in
`locales/`, compiled in memory with Babel's API when the console starts: no build step, nothing generated
to commit. English is the source language (the msgids), zh-CN the default."""
from __future__ import annotations

import contextvars
import gettext as stdlib_gettext
from functools import cache
from importlib import resources
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_COOKIE = "jiesu_lang"
_current: contextvars.ContextVar[stdlib_gettext.NullTranslations] = contextvars.ContextVar(
    "jiesu_console_translations", default=NullTranslations())


def catalogue_path(language: str):  # type: ignore[no-untyped-def]
    return resources.files("jiesu_console").joinpath("locales", language, "LC_MESSAGES", "messages.po")


@cache
def translations(language: str) -> stdlib_gettext.NullTranslations:
    """The language's catalogue, compiled from its `.po` once per process; English is the msgids."""
    path = catalogue_path(language)
    if language == "en" or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalogue = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def choose(query: str | None, cookie: str | None, default: str) -> str:
    """`?lang=` wins, then the cookie, then the deployment's default."""
    for candidate in (query, cookie, default):
        if candidate in LANGUAGES:
            return candidate
    return "zh_CN"


def activate(language: str) -> None:
    _current.set(translations(language))


def _(message: str, **values: object) -> str:
    """Translate in the current request's language; `%(name)s` placeholders filled from `values`."""
    text = _current.get().gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = _current.get().ngettext(singular, plural, n)
    return text % {"num": n, **values}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    return message


def raw_gettext(message: str) -> str:
    """For Jinja's newstyle gettext, which fills the placeholders itself."""
    return _current.get().gettext(message)


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().ngettext(singular, plural, n)
