"""The gateway's own tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel

API_KEY, WEBHOOK_SECRET = "api_key", "webhook_secret"


class RetiredCredential(SQLModel, table=True):
    """An API key or signing secret replaced by a rotation, still valid until its own grace period ends.

    One row per rotation, so rotating twice within a grace period keeps both earlier credentials."""

    __tablename__ = "retired_credentials"

    id: int | None = Field(default=None, primary_key=True)
    department_id: str = Field(foreign_key="departments.department_id", index=True, max_length=100)
    kind: str = Field(max_length=20)  # API_KEY (value = its sha256) or WEBHOOK_SECRET (value in clear, to sign)
    value: str = Field(index=True, max_length=200)
    valid_until: datetime


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    department_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_enabled: bool = True
    # Webhook types the department wants; empty means all of them.
    event_types: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    webhook_secret: str = Field(max_length=200)  # needed in clear to sign; never returned after creation
    api_key_hash: str = Field(index=True, max_length=64)  # sha256 of a 256-bit random key
    created_at: datetime
    # Loaded with the department (one more query for all of them): delivery signs with the retired secrets.
    retired: list[RetiredCredential] = Relationship(sa_relationship=relationship(
        "RetiredCredential", lazy="selectin", cascade="all, delete-orphan", order_by="RetiredCredential.id"))


class Task(SQLModel, table=True):
    """The gateway's view of a task, kept from the events it consumes and appends."""

    __tablename__ = "tasks"

    task_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    department_id: str = Field(index=True, max_length=100)
    role: str = Field(max_length=20)
    kind: str = Field(default="case", max_length=30)
    whistle_id: str | None = Field(default=None, max_length=64)
    status: str = Field(index=True, max_length=20)
    offer: str = Field(sa_column=Column(Text, nullable=False))  # the task.offered payload, JSON
    offer_event_id: str = Field(max_length=64)  # the cause of what the gateway appends about the task
    correlation_id: str = Field(max_length=64)
    offered_at: datetime
    updated_at: datetime


class Delivery(SQLModel, table=True):
    """One webhook message to one department, retried until acknowledged or exhausted."""

    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(max_length=64)  # = the event id: the receiver's idempotency key
    department_id: str = Field(index=True, max_length=100)
    case_id: str = Field(max_length=64)
    task_id: str = Field(max_length=64)
    event_type: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    traceparent: str | None = Field(default=None, max_length=100)
    status: str = Field(default="pending", index=True, max_length=20)  # pending, delivered, failed, skipped
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, max_length=2000)


class DeliveryAttempt(SQLModel, table=True):
    """Every attempt to deliver a webhook, kept for the department's and the operators' questions."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(index=True)
    number: int
    attempted_at: datetime
    outcome: str = Field(max_length=500)  # "ok", "HTTP 503", "ConnectError: …", "refused target: …"
    next_attempt_at: datetime | None = None
