"""Personal data disclosed on a need-to-know basis, and the record of each disclosure."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jiesu_shared.http.problems import Problem

from jiesu_intake.entrypoints.access import Discloser, Privacy
from jiesu_intake.entrypoints.http import Service, translated_errors
from jiesu_intake.entrypoints.schemas import DisclosedContact, DisclosureIn, DisclosureOut, DisclosureRecord
from jiesu_intake.handlers import Recipient

router = APIRouter(tags=["personal data"])


@router.post("/cases/{case_id}/disclosures", response_model=DisclosureOut,
             summary="Unseal a case's personal data for a department holding a live task on it (recorded)",
             responses={404: {"description": "no such case"},
                        410: {"description": "the citizen was erased: their data can no longer be read"}})
def disclose(case_id: str, body: DisclosureIn, service: Service, gateway: Discloser) -> DisclosureOut:
    # The gateway is the authority on tasks: it calls only for a department that holds a live one.
    to = Recipient(principal_id=gateway.id, purpose=body.purpose, department=body.department, task_id=body.task_id)
    with translated_errors():
        view = service.reveal(case_id, to=to, with_id_number=False)
    if view.contact_erased:
        raise Problem(410, "personal-data-erased", "The citizen's personal data was erased",
                      f"case {case_id}'s personal data can no longer be read")
    c = view.contact
    if c is None:  # nothing was sealed for this case
        return DisclosureOut(case_id=case_id, text=view.text)
    contact = DisclosedContact(name=c.name, phone=c.phone, email=c.email) if (c.name or c.phone or c.email) else None
    return DisclosureOut(case_id=case_id, text=view.text, address=c.address, address_id=c.address_id,
                         latitude=c.latitude,
                         longitude=c.longitude, contact=contact)


@router.get("/disclosures", response_model=list[DisclosureRecord],
            summary="Who was shown which personal data of which case, and when (newest first)")
def list_disclosures(service: Service, _officer: Privacy,
                     case_id: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[DisclosureRecord]:
    return [DisclosureRecord(case_id=d.case_id, disclosed_at=d.disclosed_at, principal_id=d.principal_id,
                             department=d.department, purpose=d.purpose, task_id=d.task_id,
                             fields=d.fields.split(",") if d.fields else [])
            for d in service.disclosure_records(case_id=case_id, limit=limit, offset=offset)]
