"""House numbers: the run of numbered parts that pins down one door (8号院3号楼2单元401室, 甲3号, 三号楼二单元).

The street before it stays: it is the place the case is about, kept generalised elsewhere too."""
from __future__ import annotations

import re

from jiesu_shared.personal.spans import Span

_NUMBER = r"(?:\d{1,5}|[一二三四五六七八九十〇零两]{1,4})"
# 号楼 not when it is 号 + 楼下/楼上 (downstairs, upstairs)
_PART = rf"{_NUMBER}(?:号院|号楼(?![下上前后道里])|单元|号|栋|幢|座|门|层|楼(?![下上前后道里])|室)"
_RUN = re.compile(rf"(?<![\d一二三四五六七八九十〇零两月第])(?:[甲乙丙丁])?(?:{_PART})+(?:\d{{3,4}}(?:室|号)?)?")
# A run must name a house, building, unit or room; "5楼" or "6层" alone is only a floor.
_HOUSE = re.compile(r"号|栋|幢|单元|室")
# "2号线" is a metro line, "3号文件" a document, "5号门" a gate, "1号窗口" a counter: not somebody's door.
_NOT_A_HOUSE_AFTER = re.compile(r"线|文|门(?![口前])|窗|床|机|位|口|台|车|令|球")


def find_addresses(text: str) -> list[Span]:
    spans = []
    for m in _RUN.finditer(text):
        run = m.group()
        if not _HOUSE.search(run):
            continue
        if run.endswith("号") and _NOT_A_HOUSE_AFTER.match(text, m.end()) and not _has_two_parts(run):
            continue
        spans.append(Span("address", m.start(), m.end(), run))
    return spans


def _has_two_parts(run: str) -> bool:
    return len(re.findall(_PART, run)) >= 2
