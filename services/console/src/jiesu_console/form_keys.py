"""A command form acts once however often it is sent. Each render of a form that changes something gets a key
of its own (a hidden field next to the CSRF token, `{{ command_fields() }}` in the template); when the form
comes back, its key goes upstream as the `Idempotency-Key` of the command (see Upstream.command), so a double
click, a browser resubmit or a retried request is answered as the first send was and recorded once. A page
rendered again (after success or a refusal) carries a fresh key: a deliberate second action still acts."""
from __future__ import annotations

import contextvars
import re
import uuid

import jinja2
from fastapi import Request
from markupsafe import Markup

FIELD = "idempotency_key"
_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")  # what fresh() makes; the services take up to 255 characters
# The key the current request's form carried; set for every request (so none is carried over to the next).
_submitted: contextvars.ContextVar[str | None] = contextvars.ContextVar("jiesu_console_form_key", default=None)


class MalformedFormKey(Exception):
    """A form came back with a key the console never made (edited by hand)."""


def fresh() -> str:
    return str(uuid.uuid4())


@jinja2.pass_context
def command_fields(context: jinja2.runtime.Context) -> Markup:
    """The hidden fields every command form carries: the session's CSRF token and a key made for this render."""
    # autocomplete off: Firefox restores a page's fields when it goes back to it, hidden ones too, and a form
    # sent before would come back with its used key (a changed form then refused as the key reused)
    return Markup('<input type="hidden" name="csrf_token" value="{}">\n'  # format() escapes each value
                  '<input type="hidden" name="{}" value="{}" autocomplete="off">').format(context["csrf_token"], FIELD,
                                                                                          fresh())


async def take(request: Request) -> None:
    """Note the key the request's form carries (none for a read or a form without one)."""
    key = None
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(FIELD)  # cached: the route reads the same form
        if given is not None:
            if not isinstance(given, str) or not _SHAPE.fullmatch(given):
                raise MalformedFormKey()
            key = given
    _submitted.set(key)


def submitted() -> str | None:
    """The key of the form this request carries, to send upstream as the command's Idempotency-Key."""
    return _submitted.get()
