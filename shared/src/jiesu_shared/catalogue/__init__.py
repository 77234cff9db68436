"""The typed, versioned catalogue of event payloads, grouped by the service that produces them.

Type names are explicit and versioned (`case.received.v1`), never Python class paths. Additive
changes keep the version; a breaking change adds `...v2` and an upcaster in `registry.UPCASTERS`.
"""
from jiesu_shared.catalogue import dispatch, gateway, intake  # noqa: F401  (registers the types)
from jiesu_shared.catalogue.registry import (
    EVENT_TYPES,
    PayloadError,
    UnknownEventType,
    parse_payload,
    type_name_of,
    upcast,
)

__all__ = ["EVENT_TYPES", "PayloadError", "UnknownEventType", "parse_payload", "type_name_of", "upcast"]
