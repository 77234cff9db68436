"""What an operator sees before saving a call: the classification and any possible duplicate
(`POST /cases/preview`, which records nothing), and the unclassified cases waiting for triage."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from jiesu_shared.catalogue.common import Channel, Place
from jiesu_shared.catalogue.intake import RuleMatch

from jiesu_intake import readmodel
from jiesu_intake.domain.classification import classify
from jiesu_intake.domain.redaction import redact
from jiesu_intake.entrypoints.access import Recorder, Triage
from jiesu_intake.entrypoints.schemas import CATEGORY
from jiesu_intake.handlers import IntakeService

router = APIRouter(tags=["cases"])


async def _service(request: Request) -> IntakeService:
    return request.app.state.service


Service = Annotated[IntakeService, Depends(_service)]


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=4000)
    channel: Channel = "hotline"
    category: str | None = Field(default=None, pattern=CATEGORY)
    place: Place


class PossibleDuplicate(BaseModel):
    case_id: str
    reason: str
    text: str  # as logged: personal data replaced
    received_at: datetime
    status: str


class PreviewOut(BaseModel):
    category: str
    request_type: str | None
    urgency: str
    rules: list[RuleMatch] = Field(description="which rule fired on which words")
    possible_duplicate: PossibleDuplicate | None


class TriageEntry(BaseModel):
    case_id: str
    channel: str
    text: str
    place: Place
    received_at: datetime
    status: str


@router.post("/cases/preview", response_model=PreviewOut,
             summary="Classify a call and find a possible duplicate, recording nothing")
def preview(body: PreviewIn, service: Service, _recorder: Recorder) -> PreviewOut:
    verdict = classify(service.taxonomy, redact(body.text).text, category=body.category)
    p = body.place
    with service.database.reading() as session:
        earlier = readmodel.earlier_case(session, category=verdict.category, district=p.district, street=p.street,
                                         community=p.community, received_at=service.clock(),
                                         window=service.duplicate_window)
        row = None if earlier is None else session.get(readmodel.CaseRow, earlier.case_id)
    duplicate = None if earlier is None or row is None else PossibleDuplicate(
        case_id=row.case_id, reason=earlier.reason, text=row.text, received_at=row.received_at, status=row.status)
    return PreviewOut(category=verdict.category, request_type=verdict.request_type, urgency=verdict.urgency,
                      rules=verdict.classification.rules, possible_duplicate=duplicate)


@router.get("/triage-queue", response_model=list[TriageEntry], tags=["classification"],
            summary="Open cases no rule could classify, oldest first, for a person to triage")
def triage_queue(service: Service, _operator: Triage) -> list[TriageEntry]:
    with service.database.reading() as session:
        return [TriageEntry(case_id=r.case_id, channel=r.channel, text=r.text, received_at=r.received_at,
                            status=r.status, place=Place(district=r.district, street=r.street, community=r.community,
                                                         grid=r.grid))
                for r in readmodel.unclassified_queue(session)]
