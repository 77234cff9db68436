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
    label_x: float
    label_y: float
    anchor: str  # "start" right of the circle, "end" left of it, "middle" at the top and bottom


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    returns: int
    median_hours: float | None
    stroke: float


def network(edges: list[dict[str, Any]], width: int = 640, height: int = 460) -> tuple[list[Node], list[Edge]]:
    """Departments on a circle; one arrow per (from, to) pair, as thick as the returns it carries. Each label
    sits outside the circle, away from its dot and from the arrows that meet there."""
    names = sorted({e["from"] for e in edges} | {e["to"] for e in edges})
    radius = height / 2 - 50
    nodes = {n: _node(n, 2 * math.pi * i / len(names) - math.pi / 2, width / 2, height / 2, radius)
             for i, n in enumerate(names)}
    most = max((e["returns"] for e in edges), default=1)
    drawn = [Edge(nodes[e["from"]], nodes[e["to"]], e["returns"],
                  round(e["median_cost_seconds"] / 3600, 1) if e.get("median_cost_seconds") is not None else None,
                  round(1.5 + 6 * e["returns"] / most, 1)) for e in edges]
    return list(nodes.values()), drawn


def _node(name: str, angle: float, cx: float, cy: float, radius: float) -> Node:
    cos, sin = math.cos(angle), math.sin(angle)
    anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
    label_radius = radius + 16
    # text is drawn from its baseline: push labels below the circle down by a line's height
    baseline = 12 if sin > 0.3 else 4 if abs(sin) <= 0.3 else 0
    return Node(name, round(cx + radius * cos, 1), round(cy + radius * sin, 1),
                round(cx + label_radius * cos, 1), round(cy + label_radius * sin + baseline, 1), anchor)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)
