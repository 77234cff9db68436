"""The kernel's tables, present in every service's own database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class StoredEvent(SQLModel, table=True):
    __tablename__ = "event_store"
    __table_args__ = (UniqueConstraint("stream_id", "version", name="uq_event_store_stream_version"),)

    position: int | None = Field(default=None, primary_key=True)
    stream_id: str = Field(index=True, max_length=200)
    version: int
    event_id: str = Field(unique=True, max_length=64)
    type: str = Field(max_length=100)
    envelope: str = Field(sa_column=Column(Text, nullable=False))  # the whole CloudEvent as JSON
    recorded_at: datetime


class OutboxEntry(SQLModel, table=True):
    """An event waiting to be published; written in the same transaction as the event itself."""

    __tablename__ = "outbox"

    position: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    topic: str = Field(max_length=200)
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: str = Field(sa_column=Column(Text, nullable=False))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class ProcessedEvent(SQLModel, table=True):
    """What a consumer group has handled, written in the same transaction as the handler's writes."""

    __tablename__ = "processed_events"

    consumer_group: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    topic: str = Field(max_length=200)
    partition: int
    offset: int
    processed_at: datetime
