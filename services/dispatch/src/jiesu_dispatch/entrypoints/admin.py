"""The department directory and the routing rules, administered over HTTP and kept as events."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from jiesu_shared.catalogue.dispatch import DepartmentRegistered, DirectoryEntry

from jiesu_dispatch.entrypoints.access import AdminId, DirectoryReader
from jiesu_dispatch.entrypoints.common import Service, run
from jiesu_dispatch.messages import PublishRules, RegisterDepartment

router = APIRouter(tags=["directory"])


class DepartmentCreate(BaseModel):
    department_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=r"^(government_department|street_office|community|property_firm|utility)$")
    areas: list[str] = Field(default=[], max_length=500)


class RoutingTableRead(BaseModel):
    version: str
    published_by: str | None
    table: dict[str, Any]


@router.post("/admin/departments", response_model=DepartmentRegistered, status_code=status.HTTP_201_CREATED,
             summary="Add or change a department in the directory")
def register(body: DepartmentCreate, admin: AdminId, service: Service) -> Any:
    return run(lambda: service.bus.handle(RegisterDepartment(DirectoryEntry(**body.model_dump()), admin)).body)


At = Annotated[datetime | None, Query(description="as it was at this moment (ISO 8601); now if absent")]


@router.get("/directory/departments", response_model=list[DepartmentRegistered], summary="The department directory")
def departments(service: Service, _reader: DirectoryReader, at: At = None) -> list[DepartmentRegistered]:
    with service.database.reading() as session:
        return list(service.dispatcher.directory(session, at).departments.values())


@router.put("/admin/routing-rules", response_model=RoutingTableRead, summary="Publish a new routing table")
def publish(body: dict[str, Any], admin: AdminId, service: Service) -> RoutingTableRead:
    published = run(lambda: service.bus.handle(PublishRules(body, admin)).body)
    return RoutingTableRead(version=published["version"], published_by=admin, table=published["table"])


@router.get("/routing-rules", response_model=RoutingTableRead,
            summary="The routing table in force, now or at a past moment (who was responsible then)")
def rules_in_force(service: Service, _reader: DirectoryReader, at: At = None) -> RoutingTableRead:
    with service.database.reading() as session:
        directory = service.dispatcher.directory(session, at)
    if directory.published is not None:
        return RoutingTableRead(version=directory.published.version, published_by=directory.published.published_by,
                                table=directory.published.table)
    routing = directory.routing
    return RoutingTableRead(version=routing.version, published_by=None, table={"version": routing.version,
                            "rules": [r.__dict__ for r in routing.rules], "fallback": routing.fallback.__dict__})
