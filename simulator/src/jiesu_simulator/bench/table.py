"""The benchmark's rows as plain-text tables for a person: one table per run of rows with the same columns."""
from __future__ import annotations

from collections.abc import Iterable


def tables(rows: Iterable[dict]) -> str:
    groups: list[tuple[tuple[str, ...], list[dict]]] = []
    for row in rows:
        columns = tuple(row)
        if groups and groups[-1][0] == columns:
            groups[-1][1].append(row)
        else:
            groups.append((columns, [row]))
    return "\n\n".join(_table(columns, group) for columns, group in groups)


def _table(columns: tuple[str, ...], rows: list[dict]) -> str:
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(line, widths)) for line in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
