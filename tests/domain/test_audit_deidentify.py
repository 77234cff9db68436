"""De-identification of event data for research exports."""
from __future__ import annotations

import pytest

from jiesu_audit.domain.deidentify import Deidentifier, scrub


@pytest.mark.parametrize(("text", "expected"), [
    ("电话13912345678请回电", "电话[电话]请回电"),
    ("call +86 138-0000-1111 or +86 13800001111 or 139 1234 5678", "call [电话] or [电话] or [电话]"),
    ("座机010-65123456或(021)61234567", "座机[电话]或[电话]"),
    ("身份证11010519491231002X和110105194912310021", "身份证[身份证号]和[身份证号]"),
    ("mail Zhang.San+x@mail.example.com.cn now", "mail [邮箱] now"),
    ("三眼井胡同12号院3单元401室", "三眼井胡同[门牌]"),
    ("景山前街8号院3号楼2单元401室楼道灯坏了", "景山前街[门牌]楼道灯坏了"),
    ("我是张三，楼上漏水", "我是[姓名]，楼上漏水"),
    ("王先生说", "[姓名]先生说"),
    ("我是司马相如，楼上漏水", "我是[姓名]，楼上漏水"),
    ("诸葛先生反映路灯不亮", "[姓名]先生反映路灯不亮"),
    ("邻居刘建华天天在楼道堆杂物", "邻居[姓名]天天在楼道堆杂物"),
    ("东城区住建委和景山街道互相推诿，王府井大街施工扰民", "东城区住建委和景山街道互相推诿，王府井大街施工扰民"),
    ("ring 65123456 after six", "ring [电话] after six"),
    ("case 2f9d4c6e on 2026-11-22 at 08:15", "case 2f9d4c6e on 2026-11-22 at 08:15"),
])
def test_free_text_is_scrubbed_of_contact_details(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_a_received_case_keeps_its_meaning_and_loses_the_person() -> None:
    data = {"case_id": "c-1", "text": "漏水 13912345678", "received_at": "2026-11-01T08:00:00Z",
            "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing", "grid": "G-07",
                      "address": "景山前街4号", "latitude": 39.9, "longitude": 116.3},
            "contact": {"citizen_id": "cz-1", "key_id": "k", "algorithm": "AES-256-GCM", "ciphertext": "Zm9v"}}
    out = Deidentifier(b"k" * 32).data(data)
    assert out == {"case_id": "c-1", "text": "漏水 [电话]", "received_at": "2026-11-01T08:00:00Z",
                   "place": {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing", "grid": "G-07"},
                   "contact": {"citizen": Deidentifier(b"k" * 32).pseudonym("cz-1")}}
    assert out["contact"]["citizen"] != Deidentifier(b"j" * 32).pseudonym("cz-1")


def test_unknown_shapes_are_treated_field_by_field() -> None:
    data = {"task_id": "13912345678", "notes": ["ring 13912345678"], "contact": "13912345678",
            "nested": {"name": "张三", "phone": "x", "remark": "zs@example.com"}}
    assert Deidentifier(b"k" * 32).data(data) == {
        "task_id": "13912345678", "notes": ["ring [电话]"], "contact": None, "nested": {"remark": "[邮箱]"}}


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        Deidentifier(b"short")


def test_the_replay_deidentifier_remembers_outcomes_and_gives_the_same_as_the_rules() -> None:
    """The replay's de-identifier remembers texts, field names and places; asked twice, in any order, it
    answers as the plain rules do."""
    from jiesu_audit.replay.scrubbing import ReplayDeidentifier

    place = {"district": "Dongcheng", "street": "Jingshan", "community": "Sanyanjing", "grid": "G-07",
             "address": "景山前街4号"}
    datas = [
        {"case_id": "c-1", "text": "漏水 13912345678", "received_at": "2026-11-01T08:00:00Z", "place": place,
         "contact": {"citizen_id": "cz-1", "ciphertext": "Zm9v"}, "urgency": "normal", "attempts": 2},
        {"task_id": "13912345678", "notes": ["ring 13912345678"], "contact": "13912345678", "place": "黄庄8号",
         "nested": {"name": "张三", "phone": "x", "remark": "zs@example.com", "place": place}},
        {"place": {**place, "grid": 7}, "summary": "漏水 13912345678", "ok": True, "score": 1.5, "none": None},
        {"place": {"district": "Dongcheng", "street": "三眼井胡同12号"}, "contact": None, "reason": "2026-11-02T08:00"},
    ]
    plain, replaying = Deidentifier(b"k" * 32), ReplayDeidentifier(b"k" * 32)
    for data in datas + datas[::-1]:
        assert replaying.data(data) == plain.data(data)
