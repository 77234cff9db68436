"""The hand-over network's layout: each label sits outside the ring of departments, clear of its own dot, on
the side of the dot that faces away from the centre (so the arrows meeting at the dot do not cross it)."""
from __future__ import annotations

import math

from jiesu_console.coordinators.charts import network

WIDTH, HEIGHT = 640, 460


def _edges(count: int) -> list[dict]:
    names = [f"department-{i}" for i in range(count)]
    return [{"from": a, "to": b, "returns": 1, "median_cost_seconds": 3600} for a, b in zip(names, names[1:] + names[:1])]


def test_every_label_is_outside_the_ring_and_clear_of_its_dot() -> None:
    nodes, _ = network(_edges(9), WIDTH, HEIGHT)
    centre = (WIDTH / 2, HEIGHT / 2)
    for node in nodes:
        dot = math.dist(centre, (node.x, node.y))
        assert math.dist(centre, (node.label_x, node.label_y)) > dot + 10, node
        assert math.dist((node.x, node.y), (node.label_x, node.label_y)) >= 14, node  # the dot's radius is 9


def test_labels_grow_away_from_the_centre() -> None:
    nodes, _ = network(_edges(8), WIDTH, HEIGHT)
    for node in nodes:
        if node.anchor == "start":
            assert node.x > WIDTH / 2, node
        elif node.anchor == "end":
            assert node.x < WIDTH / 2, node
        else:
            assert abs(node.x - WIDTH / 2) < 1, node


def test_every_edge_joins_two_drawn_departments_and_the_busiest_is_thickest() -> None:
    edges = _edges(4)
    edges[0]["returns"] = 5
    nodes, drawn = network(edges, WIDTH, HEIGHT)
    assert {e.source for e in drawn} | {e.target for e in drawn} <= set(nodes)
    assert max(drawn, key=lambda e: e.stroke).returns == 5
