"""Staff for the tests: one member per role, each with a fresh random token, configured through
JIESU_STAFF exactly as a deployment without an identity provider would be."""
from __future__ import annotations

import json
import secrets

from jiesu_shared.access import STAFF_ROLES

TOKENS = {role: secrets.token_urlsafe(18) for role in STAFF_ROLES}
STAFF = [{"id": f"{role}-desk", "token": TOKENS[role], "roles": [role]} for role in STAFF_ROLES]


def as_role(role: str) -> dict[str, str]:
    """Headers of the staff member who holds just `role`."""
    return {"authorization": f"Bearer {TOKENS[role]}"}


def staff_env() -> dict[str, str]:
    """Every service admits the staff; the gateway fetches personal data as the member holding `disclosure`
    and a department's own figures as the member holding `figures`."""
    return {"JIESU_STAFF": json.dumps(STAFF), "JIESU_INTAKE_TOKEN": TOKENS["disclosure"],
            "JIESU_AUDIT_TOKEN": TOKENS["figures"]}
