"""The handler tables a service hands its message bus: commands by their class, consumed events by their
catalogue class (a renamed or removed event type then fails where the table is written, at import)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue.registry import catalogue_name, older_names
from jiesu_shared.events import Envelope

# Load what it decides on, decide, append; return the answer's body (or an Answer). Runs in the bus's transaction.
CommandHandler = Callable[[Session, Any], Any]
# The same for a batch of commands of one class: one outcome each, a body or the exception for that one alone.
BatchHandler = Callable[[Session, Sequence[Any]], Sequence[Any]]
# A consumed event, in the consumer's transaction (which also records that the event was handled).
EventHandler = Callable[[Session, Envelope, BaseModel], None]


def type_names(models: Mapping[type[BaseModel], Any]) -> list[str]:
    """Every type name on the log whose events parse into one of `models`: their own, and older names
    the catalogue upcasts into them."""
    names = [catalogue_name(model) for model in models]
    return names + [old for name in names for old in older_names(name)]
