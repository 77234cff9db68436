"""Intake's classification rules: Chinese and English keywords, the reason recorded, unclassified kept."""
from __future__ import annotations

import pytest

from jiesu_intake.config import IntakeSettings
from jiesu_intake.domain.classification import Taxonomy, classify

TAXONOMY = IntakeSettings().taxonomy()


@pytest.mark.parametrize(("text", "category"), [
    ("楼上漏水，物业不管", "property_management"),
    ("the property firm ignores the broken stairwell light", "property_management"),
    ("隔壁邻居的狗天天叫，邻里纠纷", "neighbour_dispute"),
    ("工地夜间施工噪音扰民", "noise"),
    ("construction noise at 2am, very loud", "noise"),
    ("小区里有人私搭乱建", "illegal_construction"),
    ("an unauthorised extension on the roof: illegal construction", "illegal_construction"),
    ("商户占道经营", "land_occupation"),
    ("楼道里电动车充电，消防通道被堵", "fire_hazard"),
    ("暖气不热 radiator cold", "heating"),
    ("老楼想加装电梯", "elevator_retrofit"),
    ("垃圾分类没人管，垃圾桶满了", "waste_sorting"),
])
def test_subjects_are_recognised_in_chinese_and_english(text: str, category: str) -> None:
    verdict = classify(TAXONOMY, text)
    assert verdict.category == category
    assert verdict.classification.rule_id == f"{TAXONOMY.version}/subject/{category}"
    assert verdict.classification.matched and all(w.lower() in text.lower() for w in verdict.classification.matched)


def test_request_type_and_urgency_come_with_the_rule_that_fired() -> None:
    verdict = classify(TAXONOMY, "楼道里着火了，有老人被困！fire in the stairwell")
    assert (verdict.category, verdict.urgency) == ("fire_hazard", "emergency")
    aspects = {m.aspect: m for m in verdict.classification.rules}
    assert aspects["urgency"].value == "emergency" and "着火" in aspects["urgency"].matched
    assert classify(TAXONOMY, "请问怎么办理居住证？how do I apply").request_type == "consultation"
    assert classify(TAXONOMY, "感谢社区工作人员 thanks").request_type == "praise"
    assert classify(TAXONOMY, "我要投诉物业").request_type == "complaint"


def test_text_no_rule_matches_is_unclassified_for_a_person_not_rejected() -> None:
    verdict = classify(TAXONOMY, "我有个事情想说一下")
    assert verdict.category == "unclassified"
    assert verdict.classification.rule_id.endswith("/unclassified") and verdict.classification.matched == []
    assert verdict.urgency == "normal"


def test_english_keywords_match_whole_words_only() -> None:
    assert classify(TAXONOMY, "my firewall blocks the hotline website").category == "unclassified"


def test_a_category_the_caller_names_wins_and_says_so() -> None:
    verdict = classify(TAXONOMY, "楼上漏水", category="neighbour_dispute")
    assert verdict.category == "neighbour_dispute" and verdict.classification.by == "client"


def test_the_taxonomy_is_data_a_city_can_replace() -> None:
    custom = Taxonomy.from_json('{"version": "pets-1", "subjects": [{"code": "pets", "name": "宠物 Pets",'
                                ' "keywords": ["遛狗", "dog"]}], "request_types": [], "urgency": []}')
    verdict = classify(custom, "someone lets their dog run loose")
    assert verdict.category == "pets" and verdict.classification.rule_id == "pets-1/subject/pets"
    assert verdict.request_type is None
