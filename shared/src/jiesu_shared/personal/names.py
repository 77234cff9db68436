"""People's names in Chinese free text: jieba's part-of-speech tagger (nr: a person's name, found through
its dictionary and, for names it has never seen, its hidden Markov model) combined with the context a
name stands in — a form of address after it (诸葛先生, 王阿姨), a self-introduction before it (我是司马相如,
我叫…, 姓王) — so that compound surnames and four-character names come out whole and places named after
people (张自忠路, 王府井) do not."""
from __future__ import annotations

import itertools
import re

from jiesu_shared.personal.spans import Span
from jiesu_shared.personal.surnames import COMPOUND, SINGLE
from jiesu_shared.personal.tagging import Token as _Token, dictionary_tag, tag

_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
_PROPER_NOUN_TAGS = _NAME_TAGS | {"ns", "nz", "nt", "j"}  # jieba tags some names as places (高建国/ns)
# Tags of words that never continue a name (verbs, prepositions, particles, pronouns, adverbs, punctuation...)
_NOT_A_GIVEN_NAME = frozenset({"v", "vn", "p", "c", "uj", "ul", "uz", "ug", "uv", "ud", "r", "rz", "d", "x", "f", "q"})
_HONORIFICS = ("先生", "女士", "小姐", "阿姨", "师傅", "大爷", "大妈", "大姐", "大哥", "大叔", "奶奶", "爷爷", "叔叔",
               "老师", "主任", "经理", "书记", "科长", "处长", "局长", "所长", "队长", "医生", "大夫", "警官", "律师",
               "同志", "老太太", "阿婆")
# After these a name follows, up to the next punctuation (我是 and 本人 only if the first word is no common
# word: 我是高中老师); after a role only a surname and a short given name (房东钱多多不退押金).
_CERTAIN_INTRODUCTIONS = ("我叫", "名叫", "联系人", "姓名", "我是", "本人")
_ROLES = ("市民", "业主", "房东", "邻居", "来电人", "住户", "车主", "租户")
_INTRODUCTION = re.compile(f"({'|'.join(_CERTAIN_INTRODUCTIONS + _ROLES)})[:：\\s]*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# A word ending like this, or followed by a word ending like this, names a place or an organisation.
_PLACE_ENDINGS = frozenset("街路巷庄村屯桥门井区县镇乡寺庙局委站场所厂馆院店营坊园苑宫城窑堡湾口楼")
_PLACE_WORDS = frozenset({"胡同", "大厦", "公司", "集团", "小学", "中学", "大学", "超市", "市场", "广场", "花园",
                          "家园", "百货", "商场", "商城", "饭店", "地铁站"})


def find_names(text: str) -> list[Span]:
    tokens = tag(text)
    spans = []
    for i in range(len(tokens)):
        for found in (_introduced(text, tokens, i), _addressed(tokens, i), _tagged(tokens, i)):
            if found:
                start, end = found
                spans.append(Span("name", start, end, text[start:end]))
    return spans


def _tagged(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """A word jieba tags as a person's name: 司马相如, 张三丰, and 马先生 or 刘阿姨 (the name without the title)."""
    token = tokens[i]
    if token.flag not in _NAME_TAGS or token.word in _HONORIFICS:
        return None
    for title in _HONORIFICS:
        if token.word.endswith(title):
            rest = token.word[: -len(title)]
            return (token.start, token.start + len(rest)) if _starts_with_surname(rest) else None
    before = tokens[i - 1] if i else None
    if before and _is_surname(before.word) and not _starts_with_surname(token.word) and len(token.word) <= 2:
        return before.start, token.end  # 欧阳/ns 娜娜/nrt
    if token.word in SINGLE:  # 王/nr 桂兰/ns, 李/nr 明明/t
        return _surname_and_given_name(tokens, i)
    if token.word[:2] not in COMPOUND and _common_word(token.word[:2]):
        return None  # 何时能, 安全措施: the "surname" begins an ordinary word
    if _starts_with_surname(token.word) and not _is_surname(token.word) and len(token.word) <= 4 \
            and not _doubled(token.word) and not _place_like(tokens, i):
        return token.start, token.end
    return None


def _addressed(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The name before a form of address: 诸葛先生, 王阿姨, 张三丰女士, 欧阳娜娜女士."""
    if tokens[i].word not in _HONORIFICS or i == 0:
        return None
    before = tokens[i - 1]
    if _is_surname(before.word):
        return before.start, before.end
    if before.flag in _NAME_TAGS and _starts_with_surname(before.word) and len(before.word) <= 4:
        return before.start, before.end
    if i >= 2 and _is_surname(tokens[i - 2].word) and _could_be_given_name(before):
        return tokens[i - 2].start, before.end
    return None


def _introduced(text: str, tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The name after 我是 / 我叫 / 联系人 / 姓 or a role (房东, 邻居)."""
    token = tokens[i]
    if token.word in ("姓", "贵姓") and i + 1 < len(tokens):
        return _surname_at(text, tokens[i + 1].start)
    found = _INTRODUCTION.match(text, token.start)
    if not found:
        return None
    j = _token_at(tokens, found.end(), i)
    if j is None:
        return None
    introduction = found.group(1)
    certain = introduction in _CERTAIN_INTRODUCTIONS
    return (certain and _up_to_punctuation(text, tokens, j, strict=introduction in ("我是", "本人"))) \
        or _surname_and_given_name(tokens, j)


def _up_to_punctuation(text: str, tokens: list[_Token], j: int, *, strict: bool) -> tuple[int, int] | None:
    """我是司马相如，… — two to four characters from a surname to the next punctuation are the whole name.
    After 我是 or 本人 the first word must look like a name (我是高中老师 is not one)."""
    start = tokens[j].start
    run = _CJK_RUN.match(text, start)
    if not run or not 2 <= len(run.group()) <= 4 or not _starts_with_surname(run.group()):
        return None
    if any(title in run.group() for title in _HONORIFICS):
        return None
    first = tokens[j]
    if strict and _common_word(first.word) and not _is_surname(first.word):
        return None
    return run.start(), run.end()


def _surname_and_given_name(tokens: list[_Token], j: int) -> tuple[int, int] | None:
    """房东钱多多不退押金: a surname standing alone followed by a short word that can be a given name."""
    token = tokens[j]
    if _is_surname(token.word) and j + 1 < len(tokens) and _could_be_given_name(tokens[j + 1]) \
            and tokens[j + 1].word not in _HONORIFICS:
        return token.start, tokens[j + 1].end
    return None


def _surname_at(text: str, start: int) -> tuple[int, int] | None:
    if text[start:start + 2] in COMPOUND:
        return start, start + 2
    if text[start:start + 1] in SINGLE:
        return start, start + 1
    return None


def _could_be_given_name(token: _Token) -> bool:
    return 1 <= len(token.word) <= 2 and token.flag not in _NOT_A_GIVEN_NAME and bool(_CJK_RUN.fullmatch(token.word))


def _place_like(tokens: list[_Token], i: int) -> bool:
    word = tokens[i].word
    if word[-1] in _PLACE_ENDINGS or word.endswith("胡同"):
        return True
    after = [tokens[i + 1].word] if i + 1 < len(tokens) else []
    following = (token.word for token in tokens[i + 1:i + 4])
    singles = "".join(itertools.takewhile(lambda w: len(w) == 1 and _CJK_RUN.match(w), following))
    if len(singles) >= 2:
        after.append(singles)  # 沙滩/nr 后/f 街/n, 杨梅/nr 竹/ng 斜/v 街/n
    return any(word in _PLACE_WORDS or word[-1] in _PLACE_ENDINGS for word in after)


def _doubled(word: str) -> bool:
    """谢谢, 明明: jieba's dictionary tags some doubled words as names; no two-character name repeats itself."""
    return len(word) == 2 and word[0] == word[1]


def _token_at(tokens: list[_Token], start: int, after: int) -> int | None:
    for j in range(after + 1, min(after + 4, len(tokens))):
        if tokens[j].start == start:
            return j
    return None


def _common_word(word: str) -> bool:
    """In jieba's dictionary as something other than a proper noun (高中, 何时, 安全)."""
    tag_in_dictionary = dictionary_tag(word)
    return tag_in_dictionary is not None and tag_in_dictionary not in _PROPER_NOUN_TAGS


def _is_surname(word: str) -> bool:
    return word in COMPOUND or word in SINGLE


def _starts_with_surname(word: str) -> bool:
    return word[:2] in COMPOUND or (len(word) >= 1 and word[0] in SINGLE)
