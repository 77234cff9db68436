"""Human labels for the codes the services answer with (subjects, channels, outcomes …), marked for the
catalogue so that no screen shows a code or mixes languages."""
from __future__ import annotations

from jiesu_console.i18n import N_, _

CHANNELS = {"hotline": N_("Hotline call"), "web_board": N_("Message board"), "wechat": N_("WeChat"),
            "grid_patrol": N_("Grid patrol"), "proactive": N_("Proactive case"), "open311": N_("Open311 app")}
SUBJECTS = {"fire_hazard": N_("Fire hazard"), "elevator_retrofit": N_("Elevator retrofit"),
            "heating": N_("Heating"), "illegal_construction": N_("Illegal construction"),
            "land_occupation": N_("Land occupation"), "noise": N_("Noise"), "waste_sorting": N_("Waste sorting"),
            "neighbour_dispute": N_("Neighbour dispute"), "property_management": N_("Property management"),
            "unclassified": N_("Unclassified")}
REQUEST_TYPES = {"consultation": N_("Consultation"), "help": N_("Request for help"), "complaint": N_("Complaint"),
                 "report": N_("Report"), "suggestion": N_("Suggestion"), "praise": N_("Praise")}
URGENCIES = {"normal": N_("Normal"), "urgent": N_("Urgent"), "emergency": N_("Emergency")}
OUTCOMES = {"resolved_satisfied": N_("Resolved, satisfied"),
            "satisfied_unresolved": N_("Satisfied, though unresolved"),
            "resolved_unsatisfied": N_("Resolved, not satisfied"), "neither": N_("Neither resolved nor satisfied"),
            "unresolvable": N_("Could not be resolved")}
UNRESOLVABLE_REASONS = {"coordination_timeout": N_("Coordination took too long"),
                        "outside_remit": N_("Outside the government's remit"),
                        "beyond_grassroots_capacity": N_("Beyond what the street can do")}
SATISFACTIONS = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"),
                 "dissatisfied": N_("Dissatisfied")}
STATUSES = {"received": N_("Received"), "awaiting_callback": N_("Awaiting call-back"),
            "called_back": N_("Called back"), "reopened": N_("Reopened"), "closed": N_("Closed"),
            "withdrawn": N_("Withdrawn"), "dispatched": N_("Dispatched"), "escalated": N_("Escalated")}
ROLES = {"intake": N_("Call recording"), "triage": N_("Triage"), "callback": N_("Call-back desk"),
         "contact": N_("Contact data"), "privacy": N_("Privacy"), "coordinator": N_("Coordinator"),
         "admin": N_("Administrator"), "researcher": N_("Researcher"), "disclosure": N_("Service"), "figures": N_("Service"),
         "department": N_("Department")}
TASK_STATUSES = {"offered": N_("Offered"), "accepted": N_("Accepted"), "responded": N_("Citizen contacted"),
                 "reported_in": N_("Reported in"), "completed": N_("Completed"), "returned": N_("Returned"),
                 "rejected": N_("Returned"),  # a gateway's name for `returned` before 退单 had one name
                 "cancelled": N_("Withdrawn by dispatch"), "unknown": N_("Unknown")}
TASK_KINDS = {"case": N_("Case"), "whistle_report_in": N_("Whistle: report in"),
              "meeting_decision": N_("Joint-meeting decision")}
TASK_ROLES = {"lead": N_("Lead"), "supporting": N_("Supporting")}
RETURN_REASONS = {"not_our_remit": N_("Not our remit"), "wrong_jurisdiction": N_("Wrong jurisdiction"),
                  "insufficient_information": N_("Not enough information"), "duplicate": N_("Duplicate"),
                  "other": N_("Other reason")}
CLOCKS = {"decide": N_("Decide by"), "respond": N_("Contact the citizen by"), "resolve": N_("Resolve by"),
          "report_in": N_("Report in by")}
CASE_STATES = {"received": N_("Waiting for dispatch"), "open": N_("Being handled"), "escalated": N_("Awaiting a ruling"),
               "handled": N_("Handled"), "closed": N_("Closed")}
MEETING_STATES = {"open": N_("In session"), "adjourned": N_("Adjourned")}
ALL = {"channel": CHANNELS, "subject": SUBJECTS, "request_type": REQUEST_TYPES, "urgency": URGENCIES,
       "outcome": OUTCOMES, "unresolvable_reason": UNRESOLVABLE_REASONS, "satisfaction": SATISFACTIONS,
       "status": STATUSES, "role": ROLES, "task_status": TASK_STATUSES, "task_kind": TASK_KINDS,
       "task_role": TASK_ROLES, "return_reason": RETURN_REASONS, "clock": CLOCKS, "case_state": CASE_STATES,
       "meeting_state": MEETING_STATES}


def label(kind: str, code: str | None) -> str:
    """The translated label of a code; an unknown code (a new subject, say) shows as itself."""
    if code is None:
        return "—"
    known = ALL[kind].get(code)
    return _(known) if known else code
