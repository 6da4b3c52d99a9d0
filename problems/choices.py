"""Enumerations of problem management, each with a translated label (and a badge colour where shown)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemState(models.TextChoices):
    """The three phases of 004: identification (new), control (investigating), error control (fix in progress)."""

    NEW = "new", _("Identified")
    INVESTIGATING = "investigating", _("Investigating")
    ERROR_CONTROL = "error_control", _("Error control")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (ProblemState.NEW, ProblemState.INVESTIGATING, ProblemState.ERROR_CONTROL)
FINAL_STATES = (ProblemState.CLOSED, ProblemState.CANCELLED)

STATE_COLOURS = {
    ProblemState.NEW: "primary",
    ProblemState.INVESTIGATING: "warning",
    ProblemState.ERROR_CONTROL: "info",
    ProblemState.RESOLVED: "success",
    ProblemState.CLOSED: "dark",
    ProblemState.CANCELLED: "light",
}


class ProblemAction(models.TextChoices):
    INVESTIGATE = "investigate", _("Start investigation")
    ROOT_CAUSE_FOUND = "root_cause_found", _("Root cause found")
    RESOLVE = "resolve", _("Resolve problem")
    CLOSE = "close", _("Close problem")
    REOPEN = "reopen", _("Reopen problem")
    CANCEL = "cancel", _("Cancel problem")


class ProblemSource(models.TextChoices):
    MANUAL = "manual", _("Raised by hand")
    INCIDENT = "incident", _("From an incident")
    MAJOR_INCIDENT = "major_incident", _("From a major incident review")
    TREND = "trend", _("From an incident trend")


class CauseCategory(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    PROCESS = "process", _("Process / management")
    PEOPLE = "people", _("People")
    SUPPLIER = "supplier", _("Supplier")


class CandidateState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class TrendDimension(models.TextChoices):
    """What the incidents of a trend candidate share."""

    CI = "ci", _("Same configuration item")
    SERVICE = "service", _("Same service")
    CATEGORY = "category", _("Same category")
    TITLE = "title", _("Near-identical titles")
