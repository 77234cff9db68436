"""Registering departments and recognising them by their API key."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from jiesu_shared.events import utc_now
from jiesu_shared.store import Database

from jiesu_gateway.adapters.tables import Department
from jiesu_gateway.credentials import hash_api_key, new_api_key
from jiesu_gateway.signing import new_webhook_secret
from jiesu_gateway.ssrf import check_webhook_url


class DepartmentExists(Exception):
    pass


@dataclass(frozen=True)
class IssuedCredentials:
    department: Department
    api_key: str
    webhook_secret: str


@dataclass
class DepartmentService:
    database: Database
    allow_private_webhooks: bool

    def register(self, *, department_id: str, name: str, webhook_url: str | None) -> IssuedCredentials:
        if webhook_url:
            check_webhook_url(webhook_url, allow_private=self.allow_private_webhooks)
        api_key, secret = new_api_key(), new_webhook_secret()
        with self.database.transaction() as session:
            if session.get(Department, department_id) is not None:
                raise DepartmentExists(department_id)
            department = Department(department_id=department_id, name=name, webhook_url=webhook_url,
                                    webhook_secret=secret, api_key_hash=hash_api_key(api_key), created_at=utc_now())
            session.add(department)
        return IssuedCredentials(department=department, api_key=api_key, webhook_secret=secret)

    def by_api_key(self, api_key: str) -> Department | None:
        with self.database.transaction() as session:
            return session.exec(select(Department).where(Department.api_key_hash == hash_api_key(api_key))).first()
