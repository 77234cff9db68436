"""Personal data on a need-to-know basis: the gateway keeps none of it, and asks intake for a case's
unsealed text, address and contact only when a department holds a live task on the case, at the moment
it is shown (a webhook being sent, `GET /tasks/{id}`). Intake records each disclosure; the gateway
never stores or logs what it got, so erasing the citizen in intake leaves no readable copy here."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, ValidationError

from jiesu_gateway.domain.task import TaskView, is_live

log = logging.getLogger(__name__)
Purpose = Literal["webhook", "task_api"]
PersonalStatus = Literal["disclosed", "not_live", "erased", "unavailable", "not_configured"]
PERSONAL_STATUS_DESCRIPTION = (
    "`disclosed`: `personal` holds the case's details; `not_live`: the task was returned, cancelled or "
    "completed, so its department no longer sees them; `erased`: the citizen's data was erased; "
    "`unavailable`: intake could not be asked just now (fetch `GET /tasks/{task_id}` later); "
    "`not_configured`: this gateway is not set up to disclose personal data")


class Contact(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class Personal(BaseModel):
    """What a department with a live task on the case may see of the citizen."""

    text: str = Field(description="the case's text, with the names, numbers and addresses it held restored")
    address: str | None = Field(default=None, description="the exact address")
    address_id: str | None = Field(default=None, description="the gazetteer's id of the exact address")
    latitude: float | None = None
    longitude: float | None = None
    contact: Contact | None = Field(default=None, description="how to reach the citizen")


@dataclass(frozen=True)
class Disclosure:
    status: PersonalStatus
    personal: Personal | None = None

    def fields(self) -> dict[str, Any]:
        """`personal` and `personal_status`, as added to a webhook's `data` or a task's document."""
        personal = self.personal.model_dump(mode="json") if self.personal is not None else None
        return {"personal": personal, "personal_status": self.status}


NOT_LIVE = Disclosure("not_live")
NOT_CONFIGURED = Disclosure("not_configured")
ERASED = Disclosure("erased")
UNAVAILABLE = Disclosure("unavailable")


class IntakeDisclosures:
    """Asks intake (`POST /cases/{case_id}/disclosures`, as a staff principal with the disclosure role);
    `client` is None when no intake token is configured: then nothing is ever fetched."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self._client = client

    async def for_task(self, task: TaskView, purpose: Purpose) -> Disclosure:
        """The personal data the task's department may see now; never raises."""
        if not is_live(task):
            return NOT_LIVE
        if self._client is None:
            return NOT_CONFIGURED
        try:
            response = await self._client.post(
                f"/cases/{task.case_id}/disclosures",
                json={"department": task.department_id, "task_id": task.task_id, "purpose": purpose})
        except httpx.HTTPError as exc:
            log.warning("intake unreachable for a disclosure on case %s: %s", task.case_id, type(exc).__name__)
            return UNAVAILABLE
        return _disclosure_from(response, task.case_id)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _disclosure_from(response: httpx.Response, case_id: str) -> Disclosure:
    if response.status_code == 410:
        return ERASED
    if response.status_code != 200:  # logged without the body: it might echo what it refused
        log.warning("intake answered %d to a disclosure on case %s", response.status_code, case_id)
        return UNAVAILABLE
    try:
        return Disclosure("disclosed", Personal.model_validate_json(response.content))
    except ValidationError as exc:
        log.warning("intake's disclosure on case %s was malformed (%d errors)", case_id, exc.error_count())
        return UNAVAILABLE
