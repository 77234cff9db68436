"""Shapes for server-rendered SVG charts: bar lengths scaled to a width, and a circular layout for the
hand-over network. Pure arithmetic; the templates draw (every label through the catalogue there)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def bar(value: float | None, largest: float, width: int = 240) -> int:
    """A bar's length in pixels; nothing for a missing value."""
    if not value or largest <= 0:
        return 0
    return max(1, round(width * value / largest))


@dataclass(frozen=True)
class Node:
    name: str
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    returns: int
    median_hours: float | None
    stroke: float


def network(edges: list[dict[str, Any]], size: int = 420) -> tuple[list[Node], list[Edge]]:
    """Departments on a circle; one arrow per (from, to) pair, as thick as the returns it carries."""
    names = sorted({e["from"] for e in edges} | {e["to"] for e in edges})
    centre, radius = size / 2, size / 2 - 60
    nodes = {n: Node(n, round(centre + radius * math.cos(2 * math.pi * i / len(names) - math.pi / 2), 1),
                     round(centre + radius * math.sin(2 * math.pi * i / len(names) - math.pi / 2), 1))
             for i, n in enumerate(names)}
    most = max((e["returns"] for e in edges), default=1)
    drawn = [Edge(nodes[e["from"]], nodes[e["to"]], e["returns"],
                  round(e["median_cost_seconds"] / 3600, 1) if e.get("median_cost_seconds") is not None else None,
                  round(1.5 + 6 * e["returns"] / most, 1)) for e in edges]
    return list(nodes.values()), drawn


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)
