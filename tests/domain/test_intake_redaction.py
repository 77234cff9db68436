"""Personal data typed into the text is found and replaced before the text goes on the log."""
from __future__ import annotations

from jiesu_intake.domain.redaction import redact, restore


def test_mobile_landline_and_id_numbers_are_replaced_and_kept_for_sealing() -> None:
    text = "我叫李四，手机138 1234 5678，座机010-62345678，身份证11010519900307123X，楼道灯坏了"
    result = redact(text, name="李四")
    assert result.text == "我叫[name-1]，手机[phone-1]，座机[phone-2]，身份证[id-1]，楼道灯坏了"
    assert result.originals == {"[id-1]": "11010519900307123X", "[phone-1]": "138 1234 5678",
                                "[phone-2]": "010-62345678", "[name-1]": "李四"}
    assert restore(result.text, result.originals) == text


def test_international_prefix_and_numbers_that_are_not_phones() -> None:
    result = redact("call +86 13912345678; building 12, room 1203, 2026-11-22, 100 households")
    assert result.text == "call [phone-1]; building 12, room 1203, 2026-11-22, 100 households"


def test_e_mail_addresses_are_replaced_too() -> None:
    result = redact("reply to mei.chen+12345@example.org please")
    assert result.text == "reply to [email-1] please" and result.originals == {"[email-1]": "mei.chen+12345@example.org"}


def test_text_without_personal_data_is_unchanged() -> None:
    assert redact("暖气不热 radiator cold").originals == {}


def test_names_and_house_numbers_in_the_text_are_sealed_too() -> None:
    text = "我是司马相如，景山前街8号院3号楼2单元401室楼道灯坏了，诸葛先生也反映过"
    result = redact(text)
    assert result.text == "我是[name-1]，景山前街[address-1]楼道灯坏了，[name-2]先生也反映过"
    assert result.originals == {"[name-1]": "司马相如", "[address-1]": "8号院3号楼2单元401室", "[name-2]": "诸葛"}
    assert restore(result.text, result.originals) == text


def test_the_same_words_get_the_same_placeholder() -> None:
    result = redact("王阿姨的电话13912345678，打13912345678找王阿姨")
    assert result.text == "[name-1]阿姨的电话[phone-1]，打[phone-1]找[name-1]阿姨"


def test_the_contacts_own_name_is_sealed_even_where_nothing_marks_it_as_a_name() -> None:
    result = redact("白雪反映楼道灯坏了", name="白雪")
    assert result.text == "[name-1]反映楼道灯坏了" and result.originals == {"[name-1]": "白雪"}


def test_places_and_departments_stay() -> None:
    text = "东城区住建委说归景山街道管，朝阳门和王府井也一样"
    assert redact(text).text == text
