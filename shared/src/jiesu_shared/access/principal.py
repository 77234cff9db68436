"""A signed-in caller."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, SecretStr, field_validator

from jiesu_shared.access.roles import STAFF_ROLES


@dataclass(frozen=True)
class Principal:
    id: str  # recorded in the events the caller causes (operator, coordinator, department id)
    roles: frozenset[str]
    via: Literal["token", "oidc", "admin-token", "api-key"]
    department: str | None = None  # set for a department signed in with its API key

    def holds_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class StaffToken(BaseModel):
    """One entry of JIESU_STAFF: a member of staff (or a service) with a static bearer token."""

    id: str
    token: SecretStr
    roles: list[str]

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = sorted(set(roles) - set(STAFF_ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; known: {list(STAFF_ROLES)}")
        return roles

    def principal(self) -> Principal:
        return Principal(id=self.id, roles=frozenset(self.roles), via="token")
