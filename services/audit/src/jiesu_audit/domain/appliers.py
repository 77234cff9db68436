"""Audit's folds are keyed by the catalogue's classes (a type renamed there fails here at import) and looked
up by the type names on the log, older versions included."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from jiesu_shared.catalogue.registry import catalogue_name, older_names, upcast

F = TypeVar("F")


def by_type_name(appliers: Mapping[type, F]) -> dict[str, F]:
    """{type name: applier}, with each older name the catalogue upcasts into one of these types: a fold reads
    raw data, so that data is upcast first and applied as the current version's."""
    table: dict[str, Any] = {catalogue_name(model): apply for model, apply in appliers.items()}
    for current, apply in list(table.items()):
        for old in older_names(current):
            table[old] = None if apply is None else _upcasting(old, apply)
    return table


def _upcasting(old: str, apply: Any) -> Any:
    def apply_upcast(history: Any, data: dict[str, Any], at: datetime) -> None:
        apply(history, upcast(old, data)[1], at)
    return apply_upcast
