"""Who may use dispatch's routes: the one place dispatch's access rules live."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from jiesu_shared.access import ADMIN, COORDINATOR, RESEARCHER, allow

CaseReader = allow(COORDINATOR, ADMIN)  # who must act on a case, meetings: the coordinators' view
DirectoryReader = allow(COORDINATOR, ADMIN, RESEARCHER)  # departments, jurisdictions, the rules in force


def _coordinator(principal: allow(COORDINATOR, ADMIN)) -> str:  # type: ignore[valid-type]
    return principal.id


def _administrator(principal: allow(ADMIN)) -> str:  # type: ignore[valid-type]
    return principal.id


CoordinatorId = Annotated[str, Depends(_coordinator)]  # recorded in the events the command causes
AdminId = Annotated[str, Depends(_administrator)]

