from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["hotline", "web_board", "wechat", "grid_patrol", "proactive", "open311"]
TaskRole = Literal["lead", "supporting"]


class Place(BaseModel):
    """Where the problem is (属地): district → street → community → grid, plus a free address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    district: str = Field(min_length=1, max_length=64)
    street: str = Field(min_length=1, max_length=64)
    community: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
