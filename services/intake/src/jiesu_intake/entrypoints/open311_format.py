"""Open311 GeoReport v2 documents in both of its formats: JSON and XML."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from fastapi import Response

# The element name of one item inside each list, as GeoReport v2's XML has it.
_ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "errors": "error", "endpoints": "endpoint", "formats": "format"}


JSON = "application/json; charset=utf-8"  # the answers hold Chinese text: say how it is encoded


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list):
        for child in value:
            _fill(ElementTree.SubElement(element, _ITEM.get(element.tag, "item")), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(fmt: str, root: str, document: Any, status_code: int = 200) -> Response:
    """`document` is the JSON form; XML wraps a list in <root> with one element per item."""
    if fmt == "xml":
        element = ElementTree.Element(root)
        _fill(element, document)
        body = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
        return Response(body, status_code=status_code, media_type="text/xml; charset=utf-8")
    return Response(_json(document), status_code=status_code, media_type=JSON)


def render_error(fmt: str, error: Open311Error) -> Response:
    return render(fmt, "errors", [{"code": error.code, "description": error.description}], error.code)


def _json(document: Any) -> bytes:
    import json

    return json.dumps(document, ensure_ascii=False).encode()
