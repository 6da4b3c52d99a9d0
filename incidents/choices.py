"""Enumerations of incident management, each with a translated label (and a badge colour where shown)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_USER = "pending_user", _("Pending on user")
    PENDING_SUPPLIER = "pending_supplier", _("Pending on supplier")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.PENDING_USER, State.PENDING_SUPPLIER)
PENDING_STATES = (State.PENDING_USER, State.PENDING_SUPPLIER)
FINAL_STATES = (State.CLOSED, State.CANCELLED)
# SLA clocks run only in these states: waiting on the user or a supplier pauses them, resolution stops them.
SLA_CLOCK_RUNS = frozenset({State.NEW, State.ASSIGNED, State.IN_PROGRESS})

STATE_COLOURS = {
    State.NEW: "primary",
    State.ASSIGNED: "info",
    State.IN_PROGRESS: "warning",
    State.PENDING_USER: "secondary",
    State.PENDING_SUPPLIER: "secondary",
    State.RESOLVED: "success",
    State.CLOSED: "dark",
    State.CANCELLED: "light",
}


class Impact(models.IntegerChoices):
    EXTENSIVE = 1, _("Extensive / widespread")
    SIGNIFICANT = 2, _("Significant / large")
    MODERATE = 3, _("Moderate / limited")
    MINOR = 4, _("Minor / localised")


class Urgency(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class Priority(models.IntegerChoices):
    """The four levels the seeds name (000 §5.2.2): urgent, important, general, minor."""

    P1 = 1, _("P1 Urgent")
    P2 = 2, _("P2 Important")
    P3 = 3, _("P3 General")
    P4 = 4, _("P4 Minor")


PRIORITY_COLOURS = {Priority.P1: "danger", Priority.P2: "warning", Priority.P3: "info", Priority.P4: "secondary"}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class ResolutionCode(models.TextChoices):
    SOLVED = "solved", _("Solved (permanently)")
    WORKAROUND = "workaround", _("Solved by workaround")
    USER_ERROR = "user_error", _("User error / how-to")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    NO_ACTION = "no_action", _("No action required")


class Action(models.TextChoices):
    """The state changes a person (or the system) can take on an incident."""

    ASSIGN = "assign", _("Assign")
    TAKE = "take", _("Take")
    START = "start", _("Start work")
    PEND_USER = "pend_user", _("Wait for user")
    PEND_SUPPLIER = "pend_supplier", _("Wait for supplier")
    RESUME = "resume", _("Resume")
    RESOLVE = "resolve", _("Resolve")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")
    CANCEL = "cancel", _("Cancel")
    # Taken only through their own services, never offered as a button or a bulk change:
    MERGE = "merge", _("Merge")
    ESCALATE = "escalate", _("SLA escalation")
