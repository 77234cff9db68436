"""Registering departments, rotating their credentials, and recognising them by their API key.

A rotation issues a new API key (or signing secret) and keeps the previous one valid for a grace
period, so a department can switch over without downtime; webhooks carry both signatures meanwhile.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, or_, select

from jiesu_shared.store import Database

from jiesu_gateway.adapters.tables import Department
from jiesu_gateway.credentials import hash_api_key, new_api_key
from jiesu_gateway.signing import new_webhook_secret
from jiesu_gateway.ssrf import Resolver, check_webhook_url, system_resolver

Clock = Callable[[], datetime]
_UNSET = object()


class DepartmentExists(Exception):
    pass


class DepartmentUnknown(Exception):
    pass


@dataclass(frozen=True)
class IssuedCredentials:
    department: Department
    api_key: str | None = None
    webhook_secret: str | None = None
    previous_valid_until: datetime | None = None


def wanted_types(department: Department) -> list[str]:
    return json.loads(department.event_types or "[]")


def signing_secrets(department: Department, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    until = department.previous_webhook_secret_until
    if department.previous_webhook_secret and until is not None and _aware(until) > now:
        return [department.webhook_secret, department.previous_webhook_secret]
    return [department.webhook_secret]


@dataclass
class DepartmentService:
    database: Database
    allow_private_webhooks: bool
    clock: Clock
    grace: timedelta = timedelta(hours=24)
    resolve: Resolver = system_resolver

    def register(self, *, department_id: str, name: str, webhook_url: str | None,
                 event_types: list[str] | None = None) -> IssuedCredentials:
        self._check_url(webhook_url)
        api_key, secret = new_api_key(), new_webhook_secret()
        with self.database.transaction() as session:
            if session.get(Department, department_id) is not None:
                raise DepartmentExists(department_id)
            department = Department(department_id=department_id, name=name, webhook_url=webhook_url,
                                    event_types=json.dumps(sorted(set(event_types or []))), webhook_secret=secret,
                                    api_key_hash=hash_api_key(api_key), created_at=self.clock())
            session.add(department)
        return IssuedCredentials(department=department, api_key=api_key, webhook_secret=secret)

    def get(self, department_id: str) -> Department | None:
        with self.database.transaction() as session:
            return session.get(Department, department_id)

    def update(self, department_id: str, *, name: str | None = None, webhook_url: object = _UNSET,
               event_types: list[str] | None = None, webhook_enabled: bool | None = None) -> Department:
        """Change what is given; a new URL (or re-enabling after 410 Gone) turns webhooks back on."""
        if webhook_url is not _UNSET:
            self._check_url(webhook_url)  # type: ignore[arg-type]
        with self.database.transaction() as session:
            department = self._load(session, department_id)
            if name is not None:
                department.name = name
            if webhook_url is not _UNSET:
                department.webhook_url = webhook_url  # type: ignore[assignment]
                department.webhook_enabled = True
            if event_types is not None:
                department.event_types = json.dumps(sorted(set(event_types)))
            if webhook_enabled is not None:
                department.webhook_enabled = webhook_enabled
            session.add(department)
            return department

    def rotate_api_key(self, department_id: str, grace: timedelta | None = None) -> IssuedCredentials:
        api_key, until = new_api_key(), self.clock() + (self.grace if grace is None else grace)
        with self.database.transaction() as session:
            department = self._load(session, department_id)
            department.previous_api_key_hash, department.previous_api_key_until = department.api_key_hash, until
            department.api_key_hash = hash_api_key(api_key)
            session.add(department)
        return IssuedCredentials(department=department, api_key=api_key, previous_valid_until=until)

    def rotate_webhook_secret(self, department_id: str, grace: timedelta | None = None) -> IssuedCredentials:
        secret, until = new_webhook_secret(), self.clock() + (self.grace if grace is None else grace)
        with self.database.transaction() as session:
            department = self._load(session, department_id)
            department.previous_webhook_secret = department.webhook_secret
            department.previous_webhook_secret_until = until
            department.webhook_secret = secret
            session.add(department)
        return IssuedCredentials(department=department, webhook_secret=secret, previous_valid_until=until)

    def by_api_key(self, api_key: str) -> Department | None:
        digest, now = hash_api_key(api_key), self.clock()
        with self.database.transaction() as session:
            candidates = session.exec(select(Department).where(or_(
                Department.api_key_hash == digest, Department.previous_api_key_hash == digest))).all()
        for department in candidates:
            if department.api_key_hash == digest:
                return department
            until = department.previous_api_key_until
            if until is not None and _aware(until) > now:
                return department
        return None

    def _check_url(self, webhook_url: str | None) -> None:
        if webhook_url:
            check_webhook_url(webhook_url, allow_private=self.allow_private_webhooks, resolve=self.resolve)

    @staticmethod
    def _load(session: Session, department_id: str) -> Department:
        department = session.get(Department, department_id, with_for_update=True)
        if department is None:
            raise DepartmentUnknown(department_id)
        return department


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset
