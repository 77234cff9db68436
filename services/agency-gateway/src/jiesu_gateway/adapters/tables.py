"""The gateway's own tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    department_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_enabled: bool = True
    webhook_secret: str = Field(max_length=200)  # needed in clear to sign; never returned after creation
    api_key_hash: str = Field(index=True, max_length=64)  # sha256 of a 256-bit random key
    created_at: datetime


class Task(SQLModel, table=True):
    """The gateway's view of a task, kept from the events it consumes and appends."""

    __tablename__ = "tasks"

    task_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    department_id: str = Field(index=True, max_length=100)
    role: str = Field(max_length=20)
    status: str = Field(max_length=20)
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
    status: str = Field(default="pending", index=True, max_length=20)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, max_length=2000)
