"""The Idempotency-Key request header, as every service's write routes take it (the bus remembers the answer
under it: see jiesu_shared.messagebus)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Header

IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="any unique string (a UUID): a retry with the same key returns the first answer, records nothing twice")]
