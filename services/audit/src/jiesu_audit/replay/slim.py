"""What the staging keeps of an event: only the fields XES and OCEL read (the reading of a case, the
objects an event names and describes, the event attributes, the SLA deadlines). Free texts, the classification and the
other large fields stay in JSON Lines and Parquet: a third of the bytes to write, sort and parse again."""
from __future__ import annotations

from typing import Any

from jiesu_audit.domain.actors import DEPARTMENT_FIELDS, PERSON_FIELDS
from jiesu_audit.replay.objects import EVENT_ATTRIBUTES, MANY_OBJECT_FIELDS, SINGLE_OBJECT_FIELDS
from jiesu_audit.replay.xes import SLA_DEADLINES

_READ_BY_READING = ("task_id", "role", "kind", "to_department", "accepted_at", "completed_at", "rule")
_TEXTS_IN_XES = ("task_id", "from_department", "to_department", "suggested_department")
_DESCRIBING_OBJECTS = ("contact", "report_in_by", "version")  # a case's citizen, a whistle's, the rules' version
KEPT_FIELDS = frozenset((*_READ_BY_READING, *_TEXTS_IN_XES, *DEPARTMENT_FIELDS, *PERSON_FIELDS, *EVENT_ATTRIBUTES,
                         *SLA_DEADLINES, *SINGLE_OBJECT_FIELDS, *MANY_OBJECT_FIELDS, *_DESCRIBING_OBJECTS, "place"))


def slim(doc: dict[str, Any]) -> dict[str, Any]:
    """The event with its envelope's fields XES and OCEL use and its data's kept fields, in their order."""
    return {"id": doc["id"], "type": doc["type"], "source": doc["source"], "subject": doc["subject"],
            "time": doc["time"], "data": {k: v for k, v in doc["data"].items() if k in KEPT_FIELDS}}
