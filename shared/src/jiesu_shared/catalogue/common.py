from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["hotline", "web_board", "wechat", "grid_patrol", "proactive", "open311"]
TaskRole = Literal["lead", "supporting"]
TaskKind = Literal["case", "whistle_report_in", "meeting_decision"]
RequestType = Literal["consultation", "help", "complaint", "report", "suggestion", "praise"]  # 咨询 求助 投诉 举报 建议 表扬
Urgency = Literal["normal", "urgent", "emergency"]
# Why a department returns a task (退单).
ReturnReason = Literal["not_our_remit", "wrong_jurisdiction", "insufficient_information", "duplicate", "other"]
# The citizen's verdict at call-back (回访), in seed 000's five outcomes.
Outcome = Literal["resolved_satisfied", "satisfied_unresolved", "resolved_unsatisfied", "neither", "unresolvable"]
UnresolvableReason = Literal["coordination_timeout", "outside_remit", "beyond_grassroots_capacity"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]  # 满意 / 基本满意 / 不满意
SlaClock = Literal["decide", "respond", "resolve", "report_in"]


class Place(BaseModel):
    """Where the problem is (属地): district → street → community → grid, plus a free address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    district: str = Field(min_length=1, max_length=64)
    street: str = Field(min_length=1, max_length=64)
    community: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
    # A gazetteer's id for the address (Open311's address_id): it pinpoints a house as the words do.
    address_id: str | None = Field(default=None, min_length=1, max_length=64)
    # strict: a number (int or float, as events on the log hold), never a bool or a numeric string
    latitude: float | None = Field(default=None, ge=-90, le=90, strict=True)
    longitude: float | None = Field(default=None, ge=-180, le=180, strict=True)


class SealedContact(BaseModel):
    """A citizen's personal data, encrypted with that citizen's own key, which only intake holds.

    Erasing the key (crypto-shredding) makes every copy on the immutable log unreadable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: str  # a random pseudonym: stable for the citizen, meaningless without intake
    key_id: str
    algorithm: str  # e.g. "AES-256-GCM"
    ciphertext: str  # base64 of nonce + ciphertext + tag
