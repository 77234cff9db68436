"""Who may use what, written down by the tests independently of the services: (service, METHOD, path) →
the staff roles allowed (any one suffices), or DEPARTMENT (a department's own API key), PUBLIC (anyone),
or OPEN311_CLIENT (Open311's own `api_key` form field). A route not listed here fails the walk until
someone decides who may use it."""
from __future__ import annotations

import re

from jiesu_shared.access import (ADMIN, CALLBACK, CONTACT, COORDINATOR, DISCLOSURE, INTAKE, PRIVACY, RESEARCHER,
                                 STAFF_ROLES, TRIAGE)
from jiesu_shared.access.roles import FIGURES

DEPARTMENT = "department"
PUBLIC = "public"
OPEN311_CLIENT = "open311-client"

Rule = tuple[str, ...] | str
Operation = tuple[str, str, str]  # service, METHOD, path template

_CASE_READERS = (INTAKE, TRIAGE, CALLBACK, CONTACT, PRIVACY, COORDINATOR, ADMIN)
_COORDINATORS = (COORDINATOR, ADMIN)
_ANALYSTS = (COORDINATOR, ADMIN, RESEARCHER)

MATRIX: dict[Operation, Rule] = {
    ("intake", "POST", "/cases"): (INTAKE,),
    ("intake", "POST", "/cases/preview"): (INTAKE,),
    ("intake", "GET", "/triage-queue"): (TRIAGE,),
    ("intake", "GET", "/cases/{case_id}"): _CASE_READERS,
    ("intake", "GET", "/callback-queue"): (CALLBACK,),
    ("intake", "POST", "/cases/{case_id}/reclassify"): (TRIAGE,),
    ("intake", "POST", "/cases/{case_id}/callback"): (CALLBACK,),
    ("intake", "POST", "/cases/{case_id}/reopen"): (CALLBACK,),
    ("intake", "POST", "/cases/{case_id}/close"): (CALLBACK,),
    ("intake", "POST", "/cases/{case_id}/withdraw"): (CALLBACK,),
    ("intake", "DELETE", "/citizens/{citizen_id}"): (PRIVACY,),
    ("intake", "POST", "/citizens/lookup"): (PRIVACY,),
    ("intake", "GET", "/taxonomy"): (*_CASE_READERS, RESEARCHER),
    ("intake", "POST", "/cases/{case_id}/disclosures"): (DISCLOSURE,),
    ("intake", "GET", "/disclosures"): (PRIVACY,),
    ("intake", "GET", "/open311/discovery.{fmt}"): PUBLIC,
    ("intake", "GET", "/open311/v2/services.{fmt}"): PUBLIC,
    ("intake", "GET", "/open311/v2/services/{code}.{fmt}"): PUBLIC,
    ("intake", "POST", "/open311/v2/requests.{fmt}"): OPEN311_CLIENT,
    ("intake", "GET", "/open311/v2/requests.{fmt}"): PUBLIC,
    ("intake", "GET", "/open311/v2/requests/{request_id}.{fmt}"): PUBLIC,
    ("intake", "GET", "/health"): PUBLIC,
    ("intake", "GET", "/ready"): PUBLIC,
    ("intake", "GET", "/whoami"): STAFF_ROLES,

    ("dispatch", "GET", "/cases"): _COORDINATORS,
    ("dispatch", "GET", "/cases/{case_id}"): _COORDINATORS,
    ("dispatch", "POST", "/cases/{case_id}/dispatch"): _COORDINATORS,
    ("dispatch", "POST", "/cases/{case_id}/ruling"): _COORDINATORS,
    ("dispatch", "POST", "/cases/{case_id}/whistle"): _COORDINATORS,
    ("dispatch", "POST", "/cases/{case_id}/tasks/{task_id}/release"): _COORDINATORS,
    ("dispatch", "POST", "/meetings"): _COORDINATORS,
    ("dispatch", "GET", "/meetings"): _COORDINATORS,
    ("dispatch", "GET", "/meetings/{meeting_id}"): _COORDINATORS,
    ("dispatch", "POST", "/meetings/{meeting_id}/decisions"): _COORDINATORS,
    ("dispatch", "POST", "/meetings/{meeting_id}/adjourn"): _COORDINATORS,
    ("dispatch", "GET", "/board"): _COORDINATORS,
    ("dispatch", "GET", "/board/cases"): _COORDINATORS,
    ("dispatch", "POST", "/admin/departments"): (ADMIN,),
    ("dispatch", "GET", "/directory/departments"): _ANALYSTS,
    ("dispatch", "PUT", "/admin/routing-rules"): (ADMIN,),
    ("dispatch", "GET", "/routing-rules"): _ANALYSTS,
    ("dispatch", "GET", "/health"): PUBLIC,
    ("dispatch", "GET", "/ready"): PUBLIC,
    ("dispatch", "GET", "/whoami"): STAFF_ROLES,

    ("gateway", "POST", "/admin/departments"): (ADMIN,),
    ("gateway", "GET", "/admin/departments/{department_id}"): (ADMIN,),
    ("gateway", "PATCH", "/admin/departments/{department_id}"): (ADMIN,),
    ("gateway", "POST", "/admin/departments/{department_id}/api-key/rotate"): (ADMIN,),
    ("gateway", "POST", "/admin/departments/{department_id}/webhook-secret/rotate"): (ADMIN,),
    ("gateway", "GET", "/admin/departments/{department_id}/deliveries"): (ADMIN,),
    ("gateway", "GET", "/me"): DEPARTMENT,
    ("gateway", "PATCH", "/me"): DEPARTMENT,
    ("gateway", "POST", "/me/api-key/rotate"): DEPARTMENT,
    ("gateway", "POST", "/me/webhook-secret/rotate"): DEPARTMENT,
    ("gateway", "GET", "/tasks"): DEPARTMENT,
    ("gateway", "GET", "/tasks/{task_id}"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/accept"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/return"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/reject"): DEPARTMENT,  # the deprecated alias of …/return
    ("gateway", "POST", "/tasks/{task_id}/respond"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/progress"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/complete"): DEPARTMENT,
    ("gateway", "POST", "/tasks/{task_id}/report-in"): DEPARTMENT,
    ("gateway", "GET", "/deliveries"): DEPARTMENT,
    ("gateway", "GET", "/figures"): DEPARTMENT,
    ("gateway", "GET", "/health"): PUBLIC,
    ("gateway", "GET", "/ready"): PUBLIC,
    ("gateway", "GET", "/whoami"): STAFF_ROLES,

    ("audit", "GET", "/cases/{case_id}/timeline"): (COORDINATOR, ADMIN, CALLBACK),
    ("audit", "GET", "/analytics/departments"): _ANALYSTS,
    ("audit", "GET", "/analytics/departments/{department}"): _ANALYSTS,
    ("audit", "GET", "/analytics/departments/{department}/figures"): (FIGURES, *_ANALYSTS),
    ("audit", "GET", "/analytics/handovers"): _ANALYSTS,
    ("audit", "GET", "/analytics/three-rates"): _ANALYSTS,
    ("audit", "GET", "/analytics/rankings"): _ANALYSTS,
    ("audit", "GET", "/analytics/definitions"): _ANALYSTS,
    ("audit", "GET", "/analytics/outcomes"): _ANALYSTS,
    ("audit", "GET", "/analytics/recurring"): _ANALYSTS,
    ("audit", "GET", "/analytics/recurring/cases"): _ANALYSTS,
    ("audit", "GET", "/analytics/deliveries"): _ANALYSTS,
    ("audit", "GET", "/analytics/sla-warnings"): _ANALYSTS,
    ("audit", "GET", "/analytics/rulings"): _ANALYSTS,
    ("audit", "GET", "/analytics/counted"): _ANALYSTS,
    ("audit", "GET", "/health"): PUBLIC,
    ("audit", "GET", "/ready"): PUBLIC,
    ("audit", "GET", "/whoami"): STAFF_ROLES,
}

def shape(path: str) -> str:
    """A path template with its parameters' names left out, so `{id}` and `{case_id}` compare equal."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def by_shape() -> dict[Operation, Rule]:
    return {(service, method, shape(path)): rule for (service, method, path), rule in MATRIX.items()}
