"""Routing rules: which department leads a case and which support it, by subject (category) and place (属地).

A rule may be limited to a district or a street; the most specific matching rule wins. Each rule may
list fallback departments, tried in order when the lead returns the case; the table's fallback rule
catches every subject no rule names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jiesu_shared.catalogue.common import Place


@dataclass(frozen=True)
class Route:
    rule_id: str
    lead: str
    supporting: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()
    category: str | None = None
    district: str | None = None
    street: str | None = None

    def matches(self, category: str, place: Place | None) -> bool:
        if self.category != category:
            return False
        if self.district and (place is None or place.district != self.district):
            return False
        return not self.street or (place is not None and place.street == self.street)

    @property
    def specificity(self) -> int:
        return (1 if self.district else 0) + (1 if self.street else 0)

    def departments(self) -> tuple[str, ...]:
        return (self.lead, *self.supporting, *self.fallbacks)


@dataclass(frozen=True)
class RoutingTable:
    version: str
    rules: tuple[Route, ...]
    fallback: Route

    def route(self, category: str, place: Place | None = None) -> Route:
        matching = [r for r in self.rules if r.matches(category, place)]
        return max(matching, key=lambda r: r.specificity) if matching else self.fallback

    def candidates(self, category: str, place: Place | None = None) -> tuple[str, ...]:
        """Every department that could lead this case, in the order to try them."""
        route = self.route(category, place)
        ordered = [route.lead, *route.fallbacks, self.fallback.lead, *self.fallback.fallbacks]
        return tuple(dict.fromkeys(ordered))

    def departments(self) -> frozenset[str]:
        return frozenset(d for r in (*self.rules, self.fallback) for d in r.departments())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingTable:
        def route(item: dict[str, Any]) -> Route:
            return Route(rule_id=str(item["id"]), lead=str(item["lead"]),
                         supporting=tuple(item.get("supporting", ())), fallbacks=tuple(item.get("fallbacks", ())),
                         category=item.get("category"), district=item.get("district"), street=item.get("street"))

        if not isinstance(data.get("rules"), list) or not isinstance(data.get("fallback"), dict):
            raise ValueError("a routing table needs a list of rules and a fallback rule")
        try:
            return cls(version=str(data["version"]), rules=tuple(route(r) for r in data["rules"]),
                       fallback=route(data["fallback"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a routing rule is missing {exc}") from exc
