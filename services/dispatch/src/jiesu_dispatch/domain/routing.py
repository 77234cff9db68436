"""Routing rules: which department leads a case and which support it, by subject (category)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Route:
    rule_id: str
    lead: str
    supporting: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingTable:
    version: str
    by_category: dict[str, Route]
    fallback: Route

    def route(self, category: str) -> Route:
        return self.by_category.get(category, self.fallback)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingTable:
        def route(item: dict[str, Any]) -> Route:
            return Route(rule_id=item["id"], lead=item["lead"], supporting=tuple(item.get("supporting", ())))

        return cls(version=str(data["version"]),
                   by_category={r["category"]: route(r) for r in data["rules"]},
                   fallback=route(data["fallback"]))
