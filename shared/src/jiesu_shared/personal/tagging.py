"""jieba's part-of-speech tagging, cheap enough to run on every request.

jieba's hidden Markov model is what finds names its dictionary lacks, but it is also most of its cost
(~1 ms for a 60-character text, all in the Viterbi search over ~250 tags). So the text is cut with the
dictionary alone first, and the model runs only where jieba itself would run it — a stretch of characters
no dictionary word covers — and only if a surname is among them.

jieba cuts each block of its own (a run of Chinese characters, letters and digits; the rest is punctuation
and spaces) without looking at the others, so a block's words are remembered: the same clauses, English
words and punctuation recur from one request to the next, and a block is tagged once, not on every request."""
from __future__ import annotations

import functools
import logging
import re
import warnings
from dataclasses import dataclass

with warnings.catch_warnings():  # jieba 0.42's regular expressions warn (invalid escapes) when first compiled
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import jieba
    import jieba.posseg

from jiesu_shared.personal.surnames import SINGLE

jieba.setLogLevel(logging.WARNING)  # loading the dictionary otherwise talks on stderr
TAGGER = jieba.posseg.dt
_ONE_CJK = re.compile("[\u4E00-\u9FD5]")  # jieba's range: a run of these never spans two blocks
_BLOCKS = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+)")  # how jieba splits a text into blocks (re_han_internal)
_LONGEST_REMEMBERED = 64  # characters; a longer block is tagged each time (rare, and it would crowd the cache)


@dataclass(frozen=True, slots=True)
class Token:
    word: str
    flag: str  # jieba's tag: nr person, ns place, n noun, v verb, x punctuation...
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.word)


def warm_up() -> None:
    """Load the dictionary now (about a second) rather than on the first request."""
    TAGGER.initialize()
    tag("我是司马相如")


def tag(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for block in _BLOCKS.split(text):
        words = _remembered_block(block) if len(block) <= _LONGEST_REMEMBERED else _tag_block(block)
        for word, flag in words:
            tokens.append(Token(word, flag, position))
            position += len(word)
    return tokens


def _tag_block(block: str) -> tuple[tuple[str, str], ...]:
    words = [(word, flag) for word, flag in TAGGER.cut(block, HMM=False)]
    tagged: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _ONE_CJK.fullmatch(words[j][0]):
            j += 1
        end = max(j, i + 1)
        stretch = words[i:end]
        run = "".join(word for word, _ in stretch)
        if len(stretch) >= 2 and not TAGGER.tokenizer.FREQ.get(run) and any(ch in SINGLE for ch in run):
            stretch = [(word, flag) for word, flag in TAGGER.cut(run)]  # the model, on this stretch only
        tagged.extend(stretch)
        i = end
    return tuple(tagged)


_remembered_block = functools.lru_cache(maxsize=4096)(_tag_block)


def dictionary_tag(word: str) -> str | None:
    """The tag jieba's dictionary gives a word, or None if the word is not in it."""
    return TAGGER.word_tag_tab.get(word, "x") if TAGGER.tokenizer.FREQ.get(word) else None
