"""The personal fields added to a stored webhook body at each attempt: the department receives its data with
`personal` and `personal_status` at the end and nothing else changed, whatever the data holds."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from jiesu_gateway.messages import webhook_body, with_personal

NOT_CONFIGURED = {"personal": None, "personal_status": "not_configured"}
DISCLOSED = {"personal": {"text": '楼道 "灯" }} 坏了', "contact": {"phone": "138"}}, "personal_status": "disclosed"}
DATA = [{}, {"a": {}}, {"x": [1, {}]}, {"s": "a}}"},
        {"task_id": "t-1", "summary": "灯坏了 } {", "n": 1e-05, "nested": {"b": [{}]}}]


@pytest.mark.parametrize("personal", [NOT_CONFIGURED, DISCLOSED])
@pytest.mark.parametrize("data", DATA)
def test_the_data_gets_the_personal_fields_at_its_end_and_keeps_the_rest(data: dict, personal: dict) -> None:
    body = webhook_body("task.offered", datetime(2026, 12, 2, tzinfo=UTC), data)
    sent = with_personal(body, personal)
    decoded = json.loads(body)
    decoded["data"].update(personal)
    assert sent == json.dumps(decoded, ensure_ascii=False, separators=(",", ":"))
    assert list(json.loads(sent)["data"])[-2:] == ["personal", "personal_status"]


def test_data_that_already_names_personal_fields_gets_them_replaced_not_repeated() -> None:
    body = webhook_body("task.offered", datetime(2026, 12, 2, tzinfo=UTC), {"personal": "old", "x": 1})
    assert json.loads(with_personal(body, NOT_CONFIGURED))["data"] == {"personal": None, "x": 1,
                                                                       "personal_status": "not_configured"}
    assert with_personal(body, NOT_CONFIGURED).count('"personal"') == 1


def test_a_body_whose_data_is_not_an_object_is_sent_as_stored() -> None:
    body = '{"type":"x","timestamp":"t","data":[{}]}'
    assert with_personal(body, NOT_CONFIGURED) == body
