"""Who is calling and what they may do: one access model for every Jiesu service.

Staff (operators, coordinators, administrators, researchers, and services calling each other) send a
bearer token: in production a JWT from the city's OpenID Connect provider, on one machine a token from
JIESU_STAFF. Departments sign in to the agency gateway with their own rotatable API keys.
"""
from jiesu_shared.access.guard import PUBLIC, Authenticator, allow, caller_of, requires
from jiesu_shared.access.principal import Principal
from jiesu_shared.access.roles import (ADMIN, CALLBACK, CONTACT, COORDINATOR, DISCLOSURE, INTAKE, OPERATOR_ROLES,
                                       PRIVACY, RESEARCHER, STAFF_ROLES, TRIAGE)

__all__ = ["ADMIN", "CALLBACK", "CONTACT", "COORDINATOR", "DISCLOSURE", "INTAKE", "OPERATOR_ROLES", "PRIVACY",
           "PUBLIC", "RESEARCHER", "STAFF_ROLES", "TRIAGE", "Authenticator", "Principal", "allow", "caller_of", "requires"]
