"""The directory stream (departments registered, routing tables published), folded into what dispatch decides
with. Every consumed fact and command needs it, and it changes rarely, so the fold is kept and reused for as long
as the stream's head is the one it was folded up to: one indexed query per use instead of reading and parsing
the whole stream. The head is the last event's version and id: a registration or table committed by this or
any other instance moves it, and so does one appended in a transaction that later rolled back (its id is new)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import select
from sqlmodel import Session

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import parse_payload
from jiesu_shared.events import Envelope
from jiesu_shared.store import EventStore
from jiesu_shared.store.tables import StoredEvent

from jiesu_dispatch.domain.routing import RoutingTable

DIRECTORY = "directory"
Head = tuple[int, str] | None  # the stream's last (version, event id); None while it is empty
_STREAM = StoredEvent.__table__  # type: ignore[attr-defined]
_HEAD = (select(_STREAM.c.version, _STREAM.c.event_id).where(_STREAM.c.stream_id == DIRECTORY)
         .order_by(_STREAM.c.version.desc()).limit(1))


@dataclass(frozen=True)
class Directory:
    departments: dict[str, d.DepartmentRegistered]
    routing: RoutingTable
    published: d.RoutingRulesPublished | None

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.departments)

    @cached_property
    def areas(self) -> Mapping[str, tuple[str, ...]]:
        """Each registered department's jurisdiction."""
        return {k: tuple(v.areas) for k, v in self.departments.items()}


def fold(envelopes: Sequence[Envelope], default: RoutingTable, at: datetime | None = None) -> Directory:
    """The directory as the events say, up to `at` if given; the routing table is `default` until one is published."""
    departments: dict[str, d.DepartmentRegistered] = {}
    published: d.RoutingRulesPublished | None = None
    for envelope in envelopes:
        if at is not None and envelope.time > at:
            break
        event = parse_payload(envelope.type, envelope.data)
        if isinstance(event, d.DepartmentRegistered):
            departments[event.department_id] = event
        elif isinstance(event, d.RoutingRulesPublished):
            published = event
    routing = RoutingTable.from_dict(published.table) if published else default
    return Directory(departments, routing, published)


class DirectoryCache:
    """The directory now, folded again only when the stream's head moved; shared by an instance's threads."""

    def __init__(self, store: EventStore, default: RoutingTable) -> None:
        self._store = store
        self._default = default
        self._kept: tuple[Head, Directory] | None = None  # replaced whole, never changed in place

    def current(self, session: Session) -> Directory:
        head = _head(session)
        kept = self._kept
        if kept is not None and kept[0] == head:
            return kept[1]
        envelopes = self._store.load(session, DIRECTORY)
        directory = fold(envelopes, self._default)
        # Kept under the head of what was read, not `head`: another instance may have appended in between.
        self._kept = (_head_of(envelopes), directory)
        return directory

    def at(self, session: Session, moment: datetime) -> Directory:
        """The directory as it was at a past moment (the audit's question; not kept)."""
        return fold(self._store.load(session, DIRECTORY), self._default, moment)


def _head(session: Session) -> Head:
    row = session.connection().execute(_HEAD).first()
    return None if row is None else (row[0], row[1])


def _head_of(envelopes: Sequence[Envelope]) -> Head:
    return (envelopes[-1].sequence, envelopes[-1].id) if envelopes else None
