"""Personal data planted by the personal-data test: distinct, recognisable values, and the requests that carry
them into Jiesu through every channel (POST /cases for each native channel, Open311's form-encoded POST).

Each value says whether a department holding a live task may be shown it (`disclosed`): the case's text with
its personal words restored, the exact address and point, the contact's name, phone and e-mail — never the
contact's ID number."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    label: str
    value: str
    disclosed: bool = True  # a department with a live task on the case may see it
    phone_like: bool = False  # also searched for as digits only
    coordinate: bool = False  # also searched for as an IEEE 754 double

    @property
    def number(self) -> float:
        return float(self.value)


PLANTED = (
    Planted("name, compound surname (我是…)", "司马相如"),
    Planted("name, its given part", "相如"),
    Planted("name + 先生", "诸葛先生"),
    Planted("name + 先生, its surname", "诸葛"),
    Planted("name mid-sentence", "刘德海"),
    Planted("contact's own name", "欧阳春华"),
    Planted("Open311 last_name", "上官"),
    Planted("Open311 first_name", "婉儿"),
    Planted("address (place.address)", "东城区沙滩北街27号"),
    Planted("address, street and number", "沙滩北街27号"),
    Planted("address id (place.address_id, Open311 address_id)", "BJDC-SHATAN-0027"),
    Planted("house number in the text", "景山前街8号院3号楼2单元401室"),
    Planted("house number, its flat", "2单元401室"),
    Planted("latitude", "39.928431", coordinate=True),
    Planted("longitude", "116.396827", coordinate=True),
    Planted("mobile, plain", "13912345678", phone_like=True),
    Planted("mobile, +86 spaced", "+86 139 8765 4321", phone_like=True),
    Planted("mobile, dashed", "137-1111-2222", phone_like=True),
    Planted("mobile, spaced", "136 3333 4444", phone_like=True),
    Planted("landline", "010-64012345", phone_like=True),
    Planted("Open311 phone", "+86 135 5555 6666", phone_like=True),
    Planted("ID number in the text (X)", "11010519491231002X"),
    Planted("contact's ID number", "11010119800101003X", disclosed=False),
    Planted("e-mail in the text", "sima.xiangru@example.cn"),
    Planted("contact's e-mail", "chunhua.ouyang@example.org"),
)
VALUE = {p.label: p.value for p in PLANTED}

TEXT = ("我是司马相如，住景山前街8号院3号楼2单元401室，"
        "楼上诸葛先生家漏水三天了，跟物业经理刘德海说过也不管。"
        "联系人欧阳春华，电话13912345678，也可打+86 139 8765 4321、137-1111-2222或136 3333 4444，"
        "座机010-64012345，身份证11010519491231002X，邮箱sima.xiangru@example.cn")
NATIVE_CHANNELS = ("hotline", "web_board", "wechat", "grid_patrol", "proactive")
CONTACT_PHONES = ("13912345678", "+86 139 8765 4321", "137-1111-2222", "136 3333 4444", "13912345678")
PLACE = {"district": "Dongcheng", "street": "Jingshan", "address": "东城区沙滩北街27号", "address_id": "BJDC-SHATAN-0027",
         "latitude": 39.928431, "longitude": 116.396827}


def native_case(channel: str) -> dict:
    """A POST /cases body: every planted value in the text, the place or the contact; a community of its own
    so that no case is linked to another as a duplicate."""
    index = NATIVE_CHANNELS.index(channel)
    return {"text": TEXT, "channel": channel, "category": "property_management",
            "place": {**PLACE, "community": f"community-{channel}"},
            "contact": {"name": "欧阳春华", "phone": CONTACT_PHONES[index], "id_number": "11010119800101003X",
                        "email": "chunhua.ouyang@example.org"}}


def open311_form(api_key: str) -> dict[str, str]:
    """Another citizen (a phone of their own, no ID number) whose text holds the first citizen's numbers."""
    return {"api_key": api_key, "service_code": "property_management", "description": TEXT,
            "address_string": PLACE["address"], "address_id": PLACE["address_id"], "lat": str(PLACE["latitude"]), "long": str(PLACE["longitude"]),
            "first_name": "婉儿", "last_name": "上官", "phone": "+86 135 5555 6666",
            "email": "chunhua.ouyang@example.org", "attribute[district]": "Dongcheng",
            "attribute[street]": "Jingshan", "attribute[community]": "community-open311"}
