"""Intake's native HTTP API: translate requests into commands, nothing more."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from starlette.concurrency import run_in_threadpool

from jiesu_shared.catalogue.common import Place
from jiesu_shared.http.idempotency import IdempotencyKeyHeader, idempotency_key_for
from jiesu_shared.http.problems import Problem
from jiesu_shared.messagebus.problems import bus_refusals_as_problems

from jiesu_shared.access import CONTACT, PRIVACY

from jiesu_intake.domain import case as domain
from jiesu_intake.entrypoints.access import CallbackDesk, CaseReader, Privacy, Recorder, Staff, Triage
from jiesu_intake.entrypoints.schemas import (CallbackIn, CaseCreate, CaseRead, CitizenLookup, ContactOut, QueueEntry,
                                              ReasonIn, Reclassify)
from jiesu_intake.handlers import (CaseNotFound, CaseView, CloseCase, IdempotencyKey, IntakeService, NewCase,
                                  OperatorCommand, Recipient, ReclassifyCase, RecordCallback, ReopenCase, WithdrawCase)
from jiesu_intake.privacy import Contact
from jiesu_intake.readmodel import callback_queue

router = APIRouter(tags=["cases"])


async def service_of(request: Request) -> IntakeService:  # async: a plain function would cost a thread hop
    return request.app.state.service


Service = Annotated[IntakeService, Depends(service_of)]


@contextmanager
def translated_errors() -> Iterator[None]:
    """Domain and storage refusals as problem documents."""
    try:
        with bus_refusals_as_problems():
            yield
    except CaseNotFound as exc:
        raise Problem(404, "not-found", "No such case", f"case {exc} is unknown") from exc
    except domain.Refused as exc:
        raise Problem(409, "conflict", "Not possible for this case now", str(exc)) from exc


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             summary="Record a citizen's request as a new case")
async def create_case(body: CaseCreate, request: Request, recorder: Recorder,
                      idempotency_key: IdempotencyKeyHeader = None) -> Response:
    # The hot write route, kept lean: the service from the app's state (not one more dependency for FastAPI
    # to solve per request) and the answer serialised once by pydantic, not validated again by FastAPI.
    # A coroutine: the case waits for its batch's commit (see receiving) without holding a thread.
    service: IntakeService = request.app.state.service
    contact = Contact(**body.contact.model_dump()) if body.contact else None
    new = NewCase(channel=body.channel, text=body.text, place=body.place, received_at=service.clock(),
                  category=body.category, request_type=body.request_type, urgency=body.urgency, contact=contact)
    key = idempotency_key_for(request, f"intake:{recorder.id}", idempotency_key, body)
    with translated_errors():
        received = await service.receive_async(new, key)
        if received.row is None:  # the same answer as the first time: the case it created, not a new one
            view = await run_in_threadpool(service.view, received.case_id)
        else:  # just committed: the row is the answer, no need to read it back
            view = CaseView(row=received.row, contact=None, contact_erased=False, text=received.row.text)
    # get_case's URL, without url_for's walk over every route (5 % of intake's CPU per case): case ids need no escaping
    headers = {"Location": f"{request.base_url}cases/{received.case_id}"}
    if received.row is None:
        headers["Idempotent-Replayed"] = "true"
    return Response(case_read(view).model_dump_json(), status.HTTP_201_CREATED, headers, "application/json")


@router.get("/cases/{case_id}", response_model=CaseRead, name="get_case", summary="A case as intake knows it")
def get_case(case_id: str, service: Service, reader: CaseReader) -> CaseRead:
    """For the contact role the citizen's details, exact place and own words, each look recorded."""
    with translated_errors():
        view = service.reveal(case_id, to=Recipient(principal_id=reader.id, purpose="operator_view")) \
            if reader.holds_any([CONTACT]) else service.view(case_id)
        return case_read(view, pseudonym=reader.holds_any([CONTACT, PRIVACY]))


@router.get("/callback-queue", response_model=list[QueueEntry], tags=["call-back"],
            summary="Cases dispatch reported handled, waiting for the citizen's verdict (回访)")
def get_callback_queue(service: Service, _operator: CallbackDesk) -> list[QueueEntry]:
    with service.database.transaction() as session:
        return [QueueEntry(case_id=r.case_id, category=r.category, lead_department=r.lead_department,
                           resolution=r.resolution, handled_at=r.handled_at, reopen_count=r.reopen_count)
                for r in callback_queue(session)]


@router.post("/cases/{case_id}/reclassify", response_model=CaseRead, summary="Correct type, subject or urgency")
def reclassify(case_id: str, body: Reclassify, service: Service, operator: Triage, request: Request,
               response: Response, idempotency_key: IdempotencyKeyHeader = None) -> CaseRead:
    if body.category != domain.UNCLASSIFIED and service.taxonomy.subject(body.category) is None:
        raise Problem(422, "validation-error", "The request is invalid", f"{body.category} is not in the taxonomy",
                      errors=[{"field": "category", "location": "body", "message": "not a subject of the taxonomy"}])
    return _act(service, ReclassifyCase(case_id, category=body.category, request_type=body.request_type,
                                        urgency=body.urgency, operator=operator.id, reason=body.reason),
                idempotency_key_for(request, f"intake:{operator.id}", idempotency_key, body), response)


@router.post("/cases/{case_id}/callback", response_model=CaseRead, tags=["call-back"],
             summary="Record the citizen's verdict")
def record_callback(case_id: str, body: CallbackIn, service: Service, operator: CallbackDesk, request: Request,
                    response: Response, idempotency_key: IdempotencyKeyHeader = None) -> CaseRead:
    return _act(service, RecordCallback(case_id, outcome=body.outcome, unresolvable_reason=body.unresolvable_reason,
                                        satisfaction=body.satisfaction, operator=operator.id),
                idempotency_key_for(request, f"intake:{operator.id}", idempotency_key, body), response)


@router.post("/cases/{case_id}/reopen", response_model=CaseRead, tags=["call-back"],
             summary="Send an unresolved or unsatisfying case back to dispatch")
def reopen(case_id: str, body: ReasonIn, service: Service, operator: CallbackDesk, request: Request,
           response: Response, idempotency_key: IdempotencyKeyHeader = None) -> CaseRead:
    return _act(service, ReopenCase(case_id, reason=body.reason),
                idempotency_key_for(request, f"intake:{operator.id}", idempotency_key, body),
                response)


@router.post("/cases/{case_id}/close", response_model=CaseRead, tags=["call-back"],
             summary="Close the case with the recorded verdict")
def close(case_id: str, service: Service, operator: CallbackDesk, request: Request, response: Response,
          idempotency_key: IdempotencyKeyHeader = None) -> CaseRead:
    return _act(service, CloseCase(case_id),
                idempotency_key_for(request, f"intake:{operator.id}", idempotency_key, None), response)


@router.post("/cases/{case_id}/withdraw", response_model=CaseRead, tags=["call-back"],
             summary="The citizen withdraws the request")
def withdraw(case_id: str, body: ReasonIn, service: Service, operator: CallbackDesk, request: Request,
             response: Response, idempotency_key: IdempotencyKeyHeader = None) -> CaseRead:
    return _act(service, WithdrawCase(case_id, reason=body.reason),
                idempotency_key_for(request, f"intake:{operator.id}", idempotency_key, body),
                response)


@router.delete("/citizens/{citizen_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["personal data"],
               summary="Erase a citizen: shred their key, so no copy of their data can be read again")
def erase_citizen(citizen_id: str, service: Service, operator: Privacy) -> Response:
    if not service.erase_citizen(citizen_id, by=operator.id):
        raise Problem(404, "not-found", "No such citizen", f"{citizen_id} is unknown or already erased")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/citizens/lookup", tags=["personal data"],
             summary="Find a citizen's pseudonym by phone or ID number, e.g. to honour their erasure request")
def lookup_citizen(body: CitizenLookup, service: Service, _operator: Privacy) -> dict[str, str]:
    citizen_id = service.find_citizen(phone=body.phone, id_number=body.id_number)
    if citizen_id is None:
        raise Problem(404, "not-found", "No such citizen", "no citizen with this phone or ID number (or erased)")
    return {"citizen_id": citizen_id}


@router.get("/taxonomy", tags=["classification"], summary="The subjects cases are classified into")
def taxonomy(service: Service, _caller: Staff) -> dict:
    t = service.taxonomy
    return {"version": t.version, "subjects": [{"code": s.code, "name": s.name, "group": s.group,
                                                 "description": s.description} for s in t.subjects]}


def _act(service: IntakeService, command: OperatorCommand, key: IdempotencyKey | None, response: Response) -> CaseRead:
    """Carry out an operator's command once per Idempotency-Key; the answer is the case as it stands (its view
    holds no personal data, so nothing personal is remembered under the key: a replay reads the case again)."""
    with translated_errors():
        if service.act(command, key):  # the bus wakes the outbox relay
            response.headers["Idempotent-Replayed"] = "true"
        return case_read(service.view(command.case_id))


def case_read(view: CaseView, *, pseudonym: bool = False) -> CaseRead:
    r = view.row
    contact = None if view.contact is None else ContactOut(
        citizen_id=r.citizen_id or "", name=view.contact.name, phone=view.contact.phone,
        id_number=view.contact.id_number, email=view.contact.email)
    return CaseRead(
        case_id=r.case_id, status=r.status, category=r.category, channel=r.channel, request_type=r.request_type,
        urgency=r.urgency, text=view.text, received_at=r.received_at, duplicate_of=r.duplicate_of,
        place=_place(r, view.contact),
        lead_department=r.lead_department, resolution=r.resolution, outcome=r.outcome,
        satisfaction=r.satisfaction, reopen_count=r.reopen_count, contact=contact,
        citizen_id=r.citizen_id if pseudonym or view.contact is not None else None, contact_erased=view.contact_erased)


def _place(row: Any, contact: Contact | None) -> Place:
    """The generalised place; with the exact address and point only when the contact was unsealed."""
    exact = {} if contact is None else {"address": contact.address, "address_id": contact.address_id,
                                        "latitude": contact.latitude,
                                        "longitude": contact.longitude}
    return Place(district=row.district, street=row.street, community=row.community, grid=row.grid, **exact)
