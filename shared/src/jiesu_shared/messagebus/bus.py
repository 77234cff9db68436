"""One message path for every service: a command is handled in one transaction (load → decide → append,
the outbox filled by the event store), its answer remembered there under the Idempotency-Key, the whole
retried when a concurrent writer moved the stream on; a consumed event goes to its handler in the
consumer's transaction. In the spirit of cosmicpython's message bus: tables of handlers, one bus."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from jiesu_shared.catalogue.registry import catalogue_name
from jiesu_shared.events import Envelope
from jiesu_shared.messagebus import batch
from jiesu_shared.messagebus.answer import Answer, as_answer
from jiesu_shared.messagebus.retry import ATTEMPTS, retrying
from jiesu_shared.messagebus.tables import BatchHandler, CommandHandler, EventHandler, type_names
from jiesu_shared.store.database import Database
from jiesu_shared.store.idempotency import IdempotencyKey, RememberedResponse, hold, recall_many, remember_many

log = logging.getLogger(__name__)


class MessageBus:
    def __init__(self, database: Database, *, commands: Mapping[type, CommandHandler] | None = None,
                 batched: Mapping[type, BatchHandler] | None = None,
                 events: Mapping[type[BaseModel], EventHandler] | None = None,
                 on_committed: Callable[[], None] = lambda: None, attempts: int = ATTEMPTS) -> None:
        self.database = database
        self._commands = dict(commands or {})
        self._batched = dict(batched or {})
        self._events = dict(events or {})
        for model in self._events:
            catalogue_name(model)  # a class the catalogue does not know fails here, at start-up
        self._on_committed = on_committed  # e.g. wake the outbox relay for what was appended
        self._attempts = attempts

    def handle(self, command: Any, *, key: IdempotencyKey | None = None, status_code: int = 200) -> Answer:
        """Carry out `command`, or recall the answer remembered under `key`. Raises what the handler raises
        (nothing recorded), IdempotencyKeyReused / IdempotencyKeyInFlight, or Busy."""
        handler = self._commands[type(command)]

        def once() -> Answer:
            with self.database.transaction() as session:
                if key is not None:
                    hold(session, key)
                    if (known := recall_many(session, [key]).get(key.slot)) is not None and known.answers(key):
                        return Answer(known.body, known.status_code, replayed=True)
                answer = as_answer(handler(session, command), status_code)
                if key is not None:
                    remember_many(session, [(key, RememberedResponse(answer.status_code, answer.body))])
                return answer

        answer = retrying(once, self._attempts)
        if not answer.replayed:
            self._committed()
        return answer

    def handle_batch(self, commands: Sequence[Any], keys: Sequence[IdempotencyKey | None], *,
                     status_code: int = 200) -> list[Answer | Exception]:
        """Carry out commands of one class in one transaction (one commit for all: see batch)."""
        handler = self._batched[type(commands[0])]
        outcomes = retrying(lambda: batch.handle(self.database, handler, commands, keys, status_code),
                            self._attempts)
        self._committed()
        return outcomes

    def consume(self, session: Session, envelope: Envelope, payload: BaseModel) -> None:
        """The consumer's handler: the event goes to the handler for its catalogue class."""
        self._events[type(payload)](session, envelope, payload)  # type: ignore[arg-type]

    def consumed(self) -> dict[str, Callable[[Session, Envelope, BaseModel], None]]:
        """The consumer's table: each type name on the log this bus handles."""
        return dict.fromkeys(type_names(self._events), self.consume)

    def _committed(self) -> None:
        try:
            self._on_committed()
        except Exception:
            log.exception("the bus's on-commit callback failed")
