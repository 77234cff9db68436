"""Personal data typed into the text is found and replaced before the text goes on the log."""
from __future__ import annotations

from jiesu_intake.domain.redaction import redact, restore


def test_mobile_landline_and_id_numbers_are_replaced_and_kept_for_sealing() -> None:
    text = "我叫李四，手机138 1234 5678，座机010-62345678，身份证11010519900307123X，楼道灯坏了"
    result = redact(text, name="李四")
    assert result.text == "我叫[name]，手机[phone-1]，座机[phone-2]，身份证[id-1]，楼道灯坏了"
    assert result.originals == {"[id-1]": "11010519900307123X", "[phone-1]": "138 1234 5678",
                                "[phone-2]": "010-62345678", "[name]": "李四"}
    assert restore(result.text, result.originals) == text


def test_international_prefix_and_numbers_that_are_not_phones() -> None:
    result = redact("call +86 13912345678; building 12, room 1203, 2026-11-22, 100 households")
    assert result.text == "call [phone-1]; building 12, room 1203, 2026-11-22, 100 households"


def test_e_mail_addresses_are_replaced_too() -> None:
    result = redact("reply to mei.chen+12345@example.org please")
    assert result.text == "reply to [email-1] please" and result.originals == {"[email-1]": "mei.chen+12345@example.org"}


def test_text_without_personal_data_is_unchanged() -> None:
    assert redact("暖气不热 radiator cold").originals == {}
