"""How the case page shows each kind of event: an icon, a label, and whether it is a system event (folded
away unless the coordinator opens them)."""
from __future__ import annotations

from jiesu_console.i18n import N_

# type (without its version) -> (icon, label msgid, system event)
EVENTS: dict[str, tuple[str, str, bool]] = {
    "case.received": ("☎", N_("Case recorded"), False),
    "case.reclassified": ("🏷", N_("Reclassified"), False),
    "case.linked_as_duplicate": ("🔗", N_("Linked as a possible duplicate"), False),
    "case.dispatched": ("➜", N_("Dispatched"), False),
    "task.offered": ("✉", N_("Task offered"), False),
    "task.accepted": ("✔", N_("Task accepted"), False),
    "task.returned": ("↩", N_("Task returned"), False),
    "task.rejected": ("↩", N_("Task returned"), False),  # its name on logs written before task.returned.v2
    "task.responded": ("☏", N_("Citizen contacted"), False),
    "task.progress_reported": ("✎", N_("Progress reported"), False),
    "task.completed": ("✅", N_("Task completed"), False),
    "task.reported_in": ("⚑", N_("Reported in to the whistle"), False),
    "task.cancelled": ("✖", N_("Task withdrawn"), False),
    "case.rerouted": ("⤳", N_("Rerouted"), False),
    "case.escalated": ("⚠", N_("Escalated for a ruling"), False),
    "case.handled": ("■", N_("Handled"), False),
    "whistle.blown": ("📣", N_("Whistle blown"), False),
    "whistle.no_show": ("⌛", N_("Whistle no-show"), False),
    "whistle.reported_in_late": ("⌛", N_("Reported in late"), False),
    "meeting.decision_recorded": ("☰", N_("Joint-meeting decision"), False),
    "case.callback_recorded": ("☎", N_("Call-back recorded"), False),
    "case.reopened": ("↻", N_("Reopened"), False),
    "case.withdrawn": ("✖", N_("Withdrawn"), False),
    "case.closed": ("■", N_("Closed"), False),
    "sla.breached": ("⏰", N_("Deadline breached"), False),
    "sla.warning": ("⏱", N_("Deadline warning"), True),
    "case.callback_due": ("⏱", N_("Call-back due"), True),
    "task.notified": ("⇢", N_("Department notified"), True),
    "task.notification_failed": ("⚡", N_("Notification failed"), True),
}
UNKNOWN = ("•", N_("Other event"), True)


def kind_of(event_type: str) -> tuple[str, str, bool]:
    return EVENTS.get(event_type.rsplit(".v", 1)[0], UNKNOWN)
