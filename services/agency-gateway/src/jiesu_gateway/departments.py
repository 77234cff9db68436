"""Registering departments, rotating their credentials, and recognising them by their API key.

A rotation issues a new API key (or signing secret) and keeps the previous one valid for a grace
period, so a department can switch over without downtime; webhooks carry a signature per valid secret
meanwhile. Each rotated-out credential keeps its own grace period, however often the department rotates.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Row, and_, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from jiesu_shared.store import Database

from jiesu_gateway.adapters.tables import API_KEY, WEBHOOK_SECRET, Department, RetiredCredential
from jiesu_gateway.credentials import hash_api_key, new_api_key
from jiesu_gateway.signing import new_webhook_secret
from jiesu_gateway.ssrf import Resolver, check_webhook_url, system_resolver

Clock = Callable[[], datetime]
_UNSET = object()
_DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
_RETIRED = RetiredCredential.__table__  # type: ignore[attr-defined]
# Each department with its rotated-out signing secrets, oldest first (a row each; one row without when it has none).
_ENDPOINTS = (sa_select(_DEPARTMENTS.c.department_id, _DEPARTMENTS.c.webhook_url, _DEPARTMENTS.c.webhook_enabled,
                        _DEPARTMENTS.c.webhook_secret, _RETIRED.c.kind, _RETIRED.c.value, _RETIRED.c.valid_until)
              .select_from(_DEPARTMENTS.outerjoin(_RETIRED, and_(
                  _RETIRED.c.department_id == _DEPARTMENTS.c.department_id, _RETIRED.c.kind == WEBHOOK_SECRET)))
              .where(_DEPARTMENTS.c.department_id.in_(bindparam("ids", expanding=True)))
              .order_by(_DEPARTMENTS.c.department_id, _RETIRED.c.id))

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


def signing_secrets(department: Department | Endpoint, now: datetime) -> list[str]:
    """The current secret, then each rotated-out one whose grace period lasts, newest first."""
    retired = [r.value for r in department.retired if r.kind == WEBHOOK_SECRET and _aware(r.valid_until) > now]
    return [department.webhook_secret, *reversed(retired)]


@dataclass(frozen=True)
class Endpoint:
    """What delivering a department's webhook needs of it, read as plain rows for the deliveries claimed
    (building Department objects with their credentials cost more than the rest of the claim)."""

    department_id: str
    webhook_url: str | None
    webhook_enabled: bool
    webhook_secret: str
    retired: tuple[Row, ...]  # its rotated-out signing secrets, oldest first: kind, value, valid_until


def endpoints(session: Session, department_ids: Iterable[str]) -> dict[str, Endpoint]:
    """The departments' endpoints, read in one statement with their rotated-out secrets."""
    rows: dict[str, list[Row]] = {}
    for row in session.connection().execute(_ENDPOINTS, {"ids": list(department_ids)}):
        rows.setdefault(row.department_id, []).append(row)
    return {department_id: Endpoint(department_id, d.webhook_url, bool(d.webhook_enabled), d.webhook_secret,
                                    tuple(r for r in found if r.value is not None))
            for department_id, found in rows.items() for d in found[:1]}

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
        api_key = new_api_key()
        with self.database.transaction() as session:
            department = self._load(session, department_id)
            until = self._retire(department, API_KEY, department.api_key_hash, grace)
            department.api_key_hash = hash_api_key(api_key)
            session.add(department)
        return IssuedCredentials(department=department, api_key=api_key, previous_valid_until=until)

    def rotate_webhook_secret(self, department_id: str, grace: timedelta | None = None) -> IssuedCredentials:
        secret = new_webhook_secret()
        with self.database.transaction() as session:
            department = self._load(session, department_id)
            until = self._retire(department, WEBHOOK_SECRET, department.webhook_secret, grace)
            department.webhook_secret = secret
            session.add(department)
        return IssuedCredentials(department=department, webhook_secret=secret, previous_valid_until=until)

    def _retire(self, department: Department, kind: str, value: str, grace: timedelta | None) -> datetime:
        """Keep `value` valid for its own grace period, beside those retired before; forget expired ones."""
        now = self.clock()
        until = now + (self.grace if grace is None else grace)
        department.retired = [r for r in department.retired if _aware(r.valid_until) > now]
        department.retired.append(RetiredCredential(department_id=department.department_id, kind=kind,
                                                    value=value, valid_until=until))
        return until

    def by_api_key(self, api_key: str) -> Department | None:
        digest = hash_api_key(api_key)
        with self.database.transaction() as session:
            current = session.exec(select(Department).where(Department.api_key_hash == digest)).first()
            if current is not None:
                return current
            retired = session.exec(select(RetiredCredential).where(
                RetiredCredential.kind == API_KEY, RetiredCredential.value == digest)).first()
            if retired is None or _aware(retired.valid_until) <= self.clock():
                return None
            return session.get(Department, retired.department_id)

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
