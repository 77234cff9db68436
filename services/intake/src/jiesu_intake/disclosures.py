"""The record of every disclosure of a citizen's personal data: to a department holding a live task (through
the agency gateway) or to an operator with the contact role. Written in the transaction that unsealed the
data, so no disclosure goes unrecorded; read by the privacy role.

A record names who, when, which case and which fields, never the values themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Field, Session, SQLModel, col, select

from jiesu_intake.privacy import Contact

Purpose = Literal["webhook", "task_api", "operator_view"]


class Disclosure(SQLModel, table=True):
    __tablename__ = "intake_disclosures"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True, max_length=64)
    disclosed_at: datetime = Field(index=True)
    principal_id: str = Field(max_length=128)  # who asked: the operator, or the service calling for a department
    department: str | None = Field(default=None, max_length=64)  # who received it, when a department did
    purpose: str = Field(max_length=32)
    task_id: str | None = Field(default=None, max_length=64)
    fields: str = Field(max_length=256)  # comma-separated names of the non-empty fields disclosed


@dataclass(frozen=True)
class Recipient:
    principal_id: str
    purpose: Purpose
    department: str | None = None
    task_id: str | None = None


def disclosed_fields(contact: Contact, *, with_id_number: bool) -> list[str]:
    """The names of the personal fields that held something; `text` when placeholders were restored."""
    values = {"text": contact.in_text, "address": contact.address, "address_id": contact.address_id,
              "latitude": contact.latitude,
              "longitude": contact.longitude, "name": contact.name, "phone": contact.phone, "email": contact.email}
    if with_id_number:
        values["id_number"] = contact.id_number
    return [name for name, value in values.items() if value not in (None, "", {})]


def record(session: Session, *, case_id: str, to: Recipient, fields: list[str], at: datetime) -> None:
    session.add(Disclosure(case_id=case_id, disclosed_at=at, principal_id=to.principal_id, department=to.department,
                           purpose=to.purpose, task_id=to.task_id, fields=",".join(fields)))


def listed(session: Session, *, case_id: str | None, limit: int, offset: int) -> list[Disclosure]:
    """Newest first."""
    query = select(Disclosure)
    if case_id is not None:
        query = query.where(Disclosure.case_id == case_id)
    query = query.order_by(col(Disclosure.disclosed_at).desc(), col(Disclosure.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())
