"""Who may use audit's routes: the one place audit's access rules live."""
from __future__ import annotations

from jiesu_shared.access import ADMIN, CALLBACK, COORDINATOR, RESEARCHER, requires
from jiesu_shared.access.roles import FIGURES

# A case's timeline holds its (redacted) text and the citizen's pseudonym: coordinators and the call-back
# desk, not researchers, who get figures and de-identified exports.
TIMELINE_READERS = requires(COORDINATOR, ADMIN, CALLBACK)
ANALYSTS = requires(COORDINATOR, ADMIN, RESEARCHER)
# One department's own figures: the gateway's service token (for the department its API key names) and analysts.
FIGURE_READERS = requires(FIGURES, COORDINATOR, ADMIN, RESEARCHER)
