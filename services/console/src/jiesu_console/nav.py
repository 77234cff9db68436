"""The navigation: each screen once, with the roles that may open it. A person sees only the entries
their roles allow; the same roles guard the page itself (see `guards.page_for`)."""
from __future__ import annotations

from dataclasses import dataclass

from jiesu_shared.access.roles import CALLBACK, INTAKE, TRIAGE

from jiesu_console.i18n import N_


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a msgid, translated when shown
    roles: tuple[str, ...]


# Pages add themselves here in the order the navigation shows them.
NAVIGATION: list[NavItem] = [
    NavItem("/operator/calls/new", N_("Record a call"), (INTAKE,)),
    NavItem("/operator/triage", N_("Triage"), (TRIAGE,)),
    NavItem("/operator/callbacks", N_("Call-back desk"), (CALLBACK,)),
]


def register(item: NavItem) -> None:
    NAVIGATION.append(item)


def visible_to(roles: frozenset[str]) -> list[NavItem]:
    return [item for item in NAVIGATION if not roles.isdisjoint(item.roles)]
