"""The incident queue as a record list: its columns, sorts and built-in views (registered with core.saved_views)."""

from django.utils.translation import gettext_lazy as _

from core.saved_views import BuiltinView, RecordList

QUEUE_LIST = "incidents"
QUEUE_COLUMNS = {
    "number": _("Number"), "title": _("Title"), "priority": _("Priority"), "state": _("State"), "sla": _("SLA"),
    "group": _("Group"), "assignee": _("Assignee"), "requester": _("Requester"), "service": _("Service"),
    "created": _("Created"), "updated": _("Updated"),
}
QUEUE_SORTS = tuple(s for name in ("created", "updated", "priority", "number", "state") for s in (name, f"-{name}"))

QUEUE = RecordList(
    key=QUEUE_LIST, columns=QUEUE_COLUMNS, sorts=QUEUE_SORTS,
    builtins=[
        BuiltinView("my-open", _("My open incidents"), "mine=true", sort="priority"),
        BuiltinView("group-unassigned", _("My groups' unassigned"), "my_groups=true&unassigned=true",
                    sort="priority"),
        BuiltinView("breaching-soon", _("Breaching soon"), "breaching_soon=true", sort="priority"),
    ],
)
