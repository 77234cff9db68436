"""Who may use intake's routes: the one place intake's access rules live (Open311 has its own API keys
for writing and a public read surface; /health and the OpenAPI documents are open)."""
from __future__ import annotations

from jiesu_shared.access import (ADMIN, CALLBACK, CONTACT, COORDINATOR, DISCLOSURE, INTAKE, PRIVACY, RESEARCHER,
                                 TRIAGE, allow)

Recorder = allow(INTAKE)  # hotline operators and the channels' backends record requests
CaseReader = allow(INTAKE, TRIAGE, CALLBACK, CONTACT, PRIVACY, COORDINATOR, ADMIN)  # contact also unseals
Triage = allow(TRIAGE)
CallbackDesk = allow(CALLBACK)
Privacy = allow(PRIVACY)  # erase citizens, read the record of disclosures
Discloser = allow(DISCLOSURE)  # the agency gateway, for a department holding a live task on the case
Staff = allow(INTAKE, TRIAGE, CALLBACK, CONTACT, PRIVACY, COORDINATOR, ADMIN, RESEARCHER)
