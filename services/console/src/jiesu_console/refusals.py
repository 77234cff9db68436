"""A service's refusal as a sentence in the person's language: the services answer in English problem
documents, and a screen must not mix languages, so the console says it in its own words."""
from __future__ import annotations

from jiesu_console.i18n import N_, _
from jiesu_console.upstream import UpstreamError

# The fields the operators' forms send (dotted as the services name them); pages add theirs.
FIELDS = {"text": N_("What the citizen says"), "channel": N_("Channel"), "place": N_("Place"),
          "place.district": N_("District"), "place.street": N_("Street"), "place.community": N_("Community"),
          "place.address": N_("Address"), "contact.name": N_("Name"), "contact.phone": N_("Phone"),
          "category": N_("Subject"), "urgency": N_("Urgency"), "reason": N_("Reason"), "outcome": N_("Outcome"),
          "satisfaction": N_("Satisfaction"), "unresolvable_reason": N_("Why it could not be resolved"),
          "note": N_("Note"), "resolution": N_("What was done"), "suggested_department": N_("Who should take it"),
          "lead_department": N_("Lead department"), "owner_department": N_("Owner department"),
          "deadline": N_("Deadline"), "summoned": N_("Departments summoned"), "street_office": N_("Street office"),
          "participants": N_("Participants"), "case_ids": N_("Cases"), "scheduled_at": N_("When")}


def sentence(refusal: UpstreamError) -> str:
    if refusal.status == 422:
        named = [_(FIELDS[f]) if f in FIELDS else f for f in refusal.fields]
        return _("Please check: %(fields)s.", fields=_(", ").join(named)) if named else _("The input is not valid.")
    if refusal.status == 409 and refusal.title.startswith("The task"):
        return _("This is not possible for the task in its present state; it may have changed just now.")
    if refusal.status == 409:
        return _("This is not possible for the case in its present state; someone may have acted on it just now.")
    if refusal.status == 404:
        return _("There is no such case.")
    return _("The service refused it.")
