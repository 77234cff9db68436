"""Open311's public read surface: a service request with only the fields the deployment publishes.

Every GeoReport v2 field is present (clients expect them), null unless published; the place's levels
(district, street, community, grid) are extensions, present only when published. The exact address and
point are sealed with the citizen's key and are never public.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jiesu_intake.domain.classification import Taxonomy
from jiesu_intake.readmodel import CaseRow

GEOREPORT_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                    "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
PLACE_LEVELS = ("district", "street", "community", "grid")
# What a deployment may publish: the redacted text and the department at most, never the sealed place.
PUBLISHABLE = frozenset({"status", "status_notes", "service_name", "service_code", "description",
                         "agency_responsible", "requested_datetime", "updated_datetime", *PLACE_LEVELS})
DEFAULT_PUBLIC = ("service_code", "service_name", "status", "requested_datetime", "updated_datetime",
                  "district", "street", "community")  # the place generalised to the community


def public_request(taxonomy: Taxonomy, row: CaseRow, public: frozenset[str]) -> dict[str, Any]:
    known = _known(taxonomy, row)
    shown: dict[str, Any] = {"service_request_id": row.case_id}  # the key a client asks by
    shown |= {name: known.get(name) if name in public else None for name in GEOREPORT_FIELDS[1:]}
    shown |= {level: known[level] for level in PLACE_LEVELS if level in public}
    return shown


def _known(taxonomy: Taxonomy, row: CaseRow) -> dict[str, Any]:
    subject = taxonomy.subject(row.category)
    closed = row.status in ("closed", "withdrawn")
    return {"status": "closed" if closed else "open",
            "status_notes": row.resolution if row.status != "withdrawn" else "withdrawn by the citizen",
            "service_name": subject.name if subject else row.category, "service_code": row.category,
            "description": row.text, "agency_responsible": row.lead_department,
            "requested_datetime": _w3c(row.received_at), "updated_datetime": _w3c(row.updated_at),
            "district": row.district, "street": row.street, "community": row.community, "grid": row.grid}


def _w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
