"""Open311 GeoReport v2, so existing Open311 clients work unchanged. The service list is the taxonomy."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from jiesu_shared.catalogue.common import Place
from jiesu_shared.store.idempotency import IdempotencyKeyInFlight, IdempotencyKeyReused, request_fingerprint

from jiesu_intake.config import IntakeSettings
from jiesu_intake.domain.classification import UNCLASSIFIED, Subject
from jiesu_intake.entrypoints.open311_format import Open311Error, render, render_error
from jiesu_intake.entrypoints.open311_public import public_request
from jiesu_intake.entrypoints.schemas import ContactIn
from jiesu_intake.handlers import IdempotencyKey, IntakeService, NewCase
from jiesu_intake.privacy import Contact
from jiesu_intake.readmodel import CaseRow

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
FORMATS = ("json", "xml")
REQUEST_TYPES = ("consultation", "help", "complaint", "report", "suggestion", "praise")
PLACE_ATTRIBUTES = (("district", "District (区)"), ("street", "Street or township (街道/乡镇)"),
                    ("community", "Community (社区)"), ("grid", "Grid (网格)"))


async def service_of(request: Request) -> IntakeService:  # async: a plain function costs a thread hop
    return request.app.state.service


Service = Annotated[IntakeService, Depends(service_of)]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} is not offered: use json or xml")
    return fmt


# What intake files a case under when no rule matched; a client may choose it too (a person triages it).
UNCLASSIFIED_SERVICE = Subject(code=UNCLASSIFIED, name="未分类 / Unclassified", group="triage", keywords=(),
                               description="None of the other services fits: a person reads it and routes it")


def _subjects(service: IntakeService) -> list[Subject]:
    return [*service.taxonomy.subjects, UNCLASSIFIED_SERVICE]


def _subject(service: IntakeService, code: str) -> Subject | None:
    return UNCLASSIFIED_SERVICE if code == UNCLASSIFIED else service.taxonomy.subject(code)


def _service(subject: Subject) -> dict:
    return {"service_code": subject.code, "service_name": subject.name, "description": subject.description,
            "metadata": True, "type": "realtime", "keywords": ", ".join(subject.keywords), "group": subject.group}


def _definition(subject: Subject) -> dict:
    attributes = [{"variable": True, "code": code, "datatype": "string", "required": False,
                   "datatype_description": None, "order": order, "description": description}
                  for order, (code, description) in enumerate(PLACE_ATTRIBUTES, start=1)]
    attributes.append({"variable": True, "code": "request_type", "datatype": "singlevaluelist", "required": False,
                       "datatype_description": None, "order": len(attributes) + 1,
                       "description": "咨询 求助 投诉 举报 建议 表扬",
                       "values": [{"key": t, "name": t} for t in REQUEST_TYPES]})
    return {"service_code": subject.code, "attributes": attributes}


@router.get("/services.{fmt}", summary="The service list: the subject taxonomy")
def services(fmt: str, service: Service) -> Response:
    try:
        return render(_format(fmt), "services", [_service(s) for s in _subjects(service)])
    except Open311Error as error:
        return render_error("json", error)


@router.get("/services/{code}.{fmt}", summary="A service's definition: its attributes")
def service_definition(code: str, fmt: str, service: Service) -> Response:
    try:
        subject = _subject(service, code)
        if subject is None:
            raise Open311Error(404, f"service_code {code} not found")
        return render(_format(fmt), "service_definition", _definition(subject))
    except Open311Error as error:
        return render_error(fmt if fmt in FORMATS else "json", error)


@router.post("/requests.{fmt}", summary="Create a service request (form-encoded, api_key required)")
async def create_request(fmt: str, request: Request, service: Service) -> Response:
    out = fmt if fmt in FORMATS else "json"
    try:
        _format(fmt)
        form = await _form(request)
        settings = request.app.state.kernel.settings
        client = _client(settings, form.get("api_key"))
        new = _new_case(service, form, settings)
        window = timedelta(minutes=settings.open311_resubmission_window_minutes)
        key = _idempotency(client, form, request.headers.get("idempotency-key"), service.clock(), window)
        try:
            received = await service.receive_async(new, key)
            case_id, replayed = received.case_id, received.replayed
        except (IdempotencyKeyReused, IdempotencyKeyInFlight) as exc:
            raise Open311Error(409, "this request was submitted before with different content") from exc
        notice = "重复提交 / resubmission: the original request" if replayed else "已受理 / received"
        return render(out, "service_requests", [{"service_request_id": case_id, "service_notice": notice,
                                                 "account_id": None}], 200 if replayed else 201)
    except Open311Error as error:
        return render_error(out, error)


@router.get("/requests.{fmt}", summary="Service requests, filtered: open to anyone, with only the public fields "
                                       "(JIESU_OPEN311_PUBLIC_FIELDS)")
def list_requests(fmt: str, request: Request, service: Service) -> Response:
    out = fmt if fmt in FORMATS else "json"
    try:
        _format(fmt)
        query = _filters(request.query_params, service.clock())
        with service.database.transaction() as session:
            rows = session.exec(query).all()
        return render(out, "service_requests", [_public(request, service, r) for r in rows])
    except Open311Error as error:
        return render_error(out, error)


@router.get("/requests/{request_id}.{fmt}", summary="One service request: open to anyone, with only the public "
                                                   "fields")
def get_request(request_id: str, fmt: str, request: Request, service: Service) -> Response:
    out = fmt if fmt in FORMATS else "json"
    try:
        _format(fmt)
        with service.database.transaction() as session:
            row = session.get(CaseRow, request_id)
        if row is None:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return render(out, "service_requests", [_public(request, service, row)])
    except Open311Error as error:
        return render_error(out, error)


def _public(request: Request, service: IntakeService, row: CaseRow) -> dict:
    fields = frozenset(request.app.state.kernel.settings.open311_public_fields)
    return public_request(service.taxonomy, row, fields)


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise Open311Error(400, "send the request as application/x-www-form-urlencoded")
    try:
        return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=False, strict_parsing=False))
    except UnicodeDecodeError as exc:
        raise Open311Error(400, "the form is not UTF-8") from exc


def _client(settings: IntakeSettings, api_key: str | None) -> str:
    import hmac

    for known, client in settings.open311_api_keys.items():
        if api_key and hmac.compare_digest(known.encode(), api_key.encode()):
            return client
    raise Open311Error(403, "api_key was not provided or is invalid")


def _new_case(service: IntakeService, form: dict[str, str], settings: IntakeSettings) -> NewCase:
    code = form.get("service_code")
    if not code:
        raise Open311Error(400, "service_code was not provided")
    subject = _subject(service, code)
    if subject is None:
        raise Open311Error(404, f"service_code {code} not found")
    has_point = form.get("lat") and form.get("long")
    if not (has_point or form.get("address_string") or form.get("address_id")):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    attribute = {k[len("attribute["):-1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")}
    request_type = attribute.get("request_type")
    if request_type is not None and request_type not in REQUEST_TYPES:
        raise Open311Error(400, f"attribute[request_type] must be one of {', '.join(REQUEST_TYPES)}")
    place = _place(form, attribute, settings.open311_unlocated_district, has_point=bool(has_point))
    text = (form.get("description") or subject.name).strip()[:4000]
    contact = _contact(form)
    return NewCase(channel="open311", text=text, place=place, received_at=service.clock(), category=code,
                   request_type=request_type, contact=None if contact.is_empty() else contact)  # type: ignore[arg-type]


def _place(form: dict[str, str], attribute: dict[str, str], unlocated: str, *, has_point: bool) -> Place:
    try:
        latitude, longitude = (float(form["lat"]), float(form["long"])) if has_point else (None, None)
    except ValueError:
        raise Open311Error(400, "the location is invalid: lat and long must be decimal numbers") from None
    try:
        return Place(district=attribute.get("district") or unlocated, street=attribute.get("street") or unlocated,
                     community=attribute.get("community"), grid=attribute.get("grid"),
                     address=form.get("address_string") or None, address_id=form.get("address_id") or None,
                     latitude=latitude,
                     longitude=longitude)
    except ValidationError as exc:  # the rule broken, never the value sent
        raise Open311Error(400, f"the location is invalid: {_fields(exc)}") from None


def _contact(form: dict[str, str]) -> Contact:
    """The same rules as the native API's contact (lengths, phone and e-mail formats)."""
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    try:
        checked = ContactIn(name=name, phone=form.get("phone"), email=form.get("email"))
    except ValidationError as exc:
        raise Open311Error(400, f"the contact is invalid: {_fields(exc)}") from None
    return Contact(name=checked.name, phone=checked.phone, email=checked.email)


def _fields(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False))


def _idempotency(client: str, form: dict[str, str], header: str | None, now: datetime,
                 window: timedelta) -> IdempotencyKey:
    """An Idempotency-Key if the client sends one; else the very same submission within the same window
    (fixed windows of the configured length) counts as a resubmission: an app's users may well send the
    same words about the same place days apart, and each such report is a request of its own."""
    content = {k: v for k, v in sorted(form.items()) if k != "api_key"}
    fingerprint = request_fingerprint("POST", "/open311/v2/requests", content)
    slot = int(now.timestamp() // window.total_seconds())
    key = header or f"resubmission:{slot}:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    return IdempotencyKey(scope=f"open311:{client}", key=key, fingerprint=fingerprint)


def _filters(params: Mapping[str, str], now: datetime) -> Select:
    query = select(CaseRow)
    if ids := params.get("service_request_id"):
        return query.where(col(CaseRow.case_id).in_(ids.split(",")))  # the other filters do not apply then
    if codes := params.get("service_code"):
        query = query.where(col(CaseRow.category).in_(codes.split(",")))
    start, end = _date(params.get("start_date")), _date(params.get("end_date"))
    query = query.where(col(CaseRow.received_at) >= (start or (end or now) - timedelta(days=90)))
    if end is not None:
        query = query.where(col(CaseRow.received_at) <= end)
    if statuses := params.get("status"):
        wanted = set(statuses.split(","))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or both")
        if wanted == {"open"}:
            query = query.where(col(CaseRow.status).not_in(("closed", "withdrawn")))
        elif wanted == {"closed"}:
            query = query.where(col(CaseRow.status).in_(("closed", "withdrawn")))
    return query.order_by(col(CaseRow.received_at)).limit(1000)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{value!r} is not a w3c date-time") from exc
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
