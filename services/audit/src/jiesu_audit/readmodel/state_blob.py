"""A case's folded history as the bytes of its row (`audit_cases.state`), and back.

Pickle, written and read only by audit. The history and its parts are slotted dataclasses, which pickle by
default through `dataclasses`' own `__getstate__`/`__setstate__`, in Python, looking the fields up again
for every object: most of the cost of storing a case. Here each is reduced to its class and its field values
in order (rebuilt by its own `__init__`), by a pickler of our own, so nothing else pickles differently.
Rows written the default way still load."""
from __future__ import annotations

import io
import pickle
from dataclasses import fields
from operator import attrgetter
from typing import Any

from jiesu_audit.domain.history import CaseHistory
from jiesu_audit.domain.parts import Callback, Escalation, Mark, MeetingTask, Offer, Warning, Whistle


def _reducer(cls: type) -> Any:
    names = [f.name for f in fields(cls)]
    if not all(f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: every field must be an __init__ parameter to be rebuilt by it")
    values = attrgetter(*names)
    return lambda obj: (cls, values(obj))


_REDUCERS = {cls: _reducer(cls) for cls in (CaseHistory, Offer, Callback, Whistle, MeetingTask, Escalation,
                                             Mark, Warning)}


def dump_state(history: CaseHistory) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(history)
    return buffer.getvalue()


def load_state(blob: bytes) -> CaseHistory:
    return pickle.loads(blob)  # noqa: S301 - only audit's own rows (see dump_state)
