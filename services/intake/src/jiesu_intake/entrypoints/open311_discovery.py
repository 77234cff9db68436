"""Open311's service discovery document (GeoReport v2 requires one): where the endpoint is, which
specification and formats it speaks. Served at `/open311/discovery.{json,xml}` and beside the endpoint."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jiesu_intake.entrypoints.open311_format import Open311Error, render, render_error

router = APIRouter(tags=["Open311 GeoReport v2"])
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00Z"  # when this document last changed: clients re-read it after that


def discovery(request: Request) -> dict:
    endpoint = str(request.base_url).rstrip("/") + "/open311/v2/"
    return {"changeset": CHANGESET, "contact": "12345 hotline centre: see the deployment's operator",
            "key_service": "an api_key per app, from the deployment's operator (JIESU_OPEN311_API_KEYS)",
            "endpoints": [{"specification": SPECIFICATION, "url": endpoint, "changeset": CHANGESET,
                           "type": "production", "formats": ["application/json", "text/xml"]}]}


@router.get("/open311/discovery.{fmt}", summary="Service discovery: the endpoint, its specification and formats")
@router.get("/open311/v2/discovery.{fmt}", include_in_schema=False)
def discovery_document(fmt: str, request: Request) -> Response:
    if fmt not in ("json", "xml"):
        return render_error("json", Open311Error(404, f"format {fmt!r} is not offered: use json or xml"))
    return render(fmt, "discovery", discovery(request))
