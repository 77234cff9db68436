"""Personal data in citizens' free text: phones, ID numbers, e-mail addresses, house numbers and people's
names. Pure (no I/O beyond loading jieba's dictionary once: call `warm_up()` when a service starts)."""
from jiesu_shared.personal.finder import find_personal_data
from jiesu_shared.personal.tagging import warm_up
from jiesu_shared.personal.spans import Span

__all__ = ["Span", "find_personal_data", "warm_up"]
