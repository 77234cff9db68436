from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from jiesu_shared.events.codec import describe_invalid

EVENT_TYPES: dict[str, type[BaseModel]] = {}
# (old type name) -> (new type name, function turning old data into new data)
UPCASTERS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

M = TypeVar("M", bound=type[BaseModel])


class Payload(BaseModel):
    """Base of every event payload: immutable, and unknown fields kept so newer producers don't break older readers."""

    model_config = ConfigDict(frozen=True, extra="allow")


class UnknownEventType(LookupError):
    pass


class PayloadError(ValueError):
    pass


def event_type(name: str) -> Callable[[M], M]:
    def register(model: M) -> M:
        if name in EVENT_TYPES:
            raise RuntimeError(f"event type {name} registered twice")
        EVENT_TYPES[name] = model
        model.__event_type__ = name  # type: ignore[attr-defined]
        return model

    return register


def type_name_of(payload: BaseModel) -> str:
    return type(payload).__event_type__  # type: ignore[attr-defined]


def upcast(type_name: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An event's type name and data in the catalogue's current version (unchanged if it is current). For
    readers of raw events (audit's folds) that must treat an old version as the new one."""
    while type_name in UPCASTERS:
        type_name, step = UPCASTERS[type_name]
        data = step(data)
    return type_name, data


def catalogue_name(model: type[BaseModel]) -> str:
    """The type name of a catalogue class; TypeError for a class the catalogue does not know."""
    name = getattr(model, "__event_type__", None)
    if name is None or EVENT_TYPES.get(name) is not model:
        raise TypeError(f"{model.__name__} is not an event type of the catalogue")
    return name


def older_names(type_name: str) -> list[str]:
    """The older type names the catalogue upcasts, in one or more steps, into `type_name`."""
    return [old for old in UPCASTERS if _current_name(old) == type_name]


def _current_name(type_name: str) -> str:
    while type_name in UPCASTERS:
        type_name = UPCASTERS[type_name][0]
    return type_name


def parse_payload(type_name: str, data: dict[str, Any]) -> BaseModel:
    type_name, data = upcast(type_name, data)
    model = EVENT_TYPES.get(type_name)
    if model is None:
        raise UnknownEventType(type_name)
    try:  # the model's validator itself: `model_validate` only wraps it, at a cost bulk readers notice
        return model.__pydantic_validator__.validate_python(data)
    except ValidationError as exc:
        raise PayloadError(f"{type_name}: {describe_invalid(exc)}") from exc
