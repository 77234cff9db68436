"""The name finder remembers jieba's tags per block of text (tagging.py): a clause met before, in another
text or at another place in the same one, must be found the same way, at its own offsets."""
from __future__ import annotations

from jiesu_shared.personal import find_personal_data
from jiesu_shared.personal.tagging import tag


def spans(text: str) -> list[tuple[str, int, int, str]]:
    return [(span.kind, span.start, span.end, span.text) for span in find_personal_data(text)]


def test_a_clause_seen_before_is_found_at_its_new_place():
    assert spans("我是司马相如") == [("name", 2, 6, "司马相如")]
    again = "楼道灯坏了 the light is out，我是司马相如，房东钱多多不退押金"
    assert [(kind, text) for kind, _, _, text in spans(again)] == [("name", "司马相如"), ("name", "钱多多")]
    for kind, start, end, text in spans(again):
        assert again[start:end] == text


def test_the_same_clause_twice_in_one_text_gives_both():
    text = "联系人王桂兰，电话找联系人王桂兰"
    assert [(start, found) for _, start, _, found in spans(text)] == [(3, "王桂兰"), (13, "王桂兰")]


def test_tokens_cover_the_text_in_order_whatever_was_seen_before():
    texts = ["我叫欧阳娜娜", "欧阳娜娜女士说 the bins overflow 3 days", "the bins overflow / 欧阳娜娜"]
    for text in texts + texts:
        tokens = tag(text)
        assert "".join(token.word for token in tokens) == text
        assert all(text[token.start:token.end] == token.word for token in tokens)


def test_a_long_block_is_tagged_without_being_remembered():
    long_clause = "我是张三丰" + "楼道里堆满了杂物" * 10  # one block longer than what is remembered
    assert ("name", "张三丰") in [(kind, text) for kind, _, _, text in spans(long_clause)]
