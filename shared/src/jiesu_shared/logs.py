"""How a service process logs: plain lines for people at a terminal, or, with JIESU_LOG_FORMAT=json, one
JSON object per line (python-json-logger) for a log pipeline, each with the trace id and span id of the
span it was written in (null outside any), so a line leads to its trace and a trace to its lines."""
from __future__ import annotations

import logging
import os

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter


class TraceIds(logging.Filter):
    """Stamps each record with the current span's ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        return True


def json_logs() -> bool:
    return os.environ.get("JIESU_LOG_FORMAT", "plain").lower() == "json"


def log_handler(service: str, stream=None, as_json: bool | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(TraceIds())
    if json_logs() if as_json is None else as_json:
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service}, timestamp=False))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    return handler


def configure_logging(service: str, level: str) -> None:
    logging.basicConfig(level=level.upper(), handlers=[log_handler(service)], force=True)
