"""The roles a staff principal can hold. A route names the roles that may use it; holding any one suffices."""
from __future__ import annotations

INTAKE = "intake"  # record citizens' requests (hotline operators, the message board's and grid app's backends)
TRIAGE = "triage"  # correct a case's classification
CALLBACK = "callback"  # work the call-back queue: verdicts, reopening, closing, withdrawal
CONTACT = "contact"  # see a citizen's personal data (each look is recorded)
PRIVACY = "privacy"  # erase citizens, read the record of disclosures
COORDINATOR = "coordinator"  # dispatch by hand, rule, whistle, meetings; timelines and analytics
ADMIN = "admin"  # the directory, routing rules, departments' registrations; everything a coordinator may
RESEARCHER = "researcher"  # analytics and de-identified figures, never a case's contents
DISCLOSURE = "disclosure"  # a service (the agency gateway) fetching personal data for a department's live task
FIGURES = "figures"  # a service (the agency gateway) reading one department's own figures, for that department

OPERATOR_ROLES = (INTAKE, TRIAGE, CALLBACK, CONTACT, PRIVACY)
STAFF_ROLES = (*OPERATOR_ROLES, COORDINATOR, ADMIN, RESEARCHER, DISCLOSURE, FIGURES)
