"""Enumerations of configuration management, each with a translated label (and a badge colour where shown)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lifecycle(models.TextChoices):
    """Where a configuration item is in its life, from order to disposal."""

    PLANNED = "planned", _("Planned")
    IN_STOCK = "in_stock", _("In stock")
    IN_USE = "in_use", _("In use")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")
    DISPOSED = "disposed", _("Disposed")


LIFECYCLE_COLOURS = {
    Lifecycle.PLANNED: "info",
    Lifecycle.IN_STOCK: "secondary",
    Lifecycle.IN_USE: "success",
    Lifecycle.MAINTENANCE: "warning",
    Lifecycle.RETIRED: "dark",
    Lifecycle.DISPOSED: "light",
}
# A service in one of these states no longer serves anyone: impact analysis does not report it as affected.
INACTIVE_STATES = (Lifecycle.RETIRED, Lifecycle.DISPOSED)


class AttributeType(models.TextChoices):
    STRING = "string", _("Text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    BOOLEAN = "boolean", _("Yes / no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice from a list")
    IP_ADDRESS = "ip_address", _("IP address")
    URL = "url", _("URL")


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")



class ImportOutcome(models.TextChoices):
    """What the import did with one row."""

    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged (skipped)")
    REFUSED = "refused", _("Refused")


class ImportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    JSON = "json", _("JSON")


class Direction(models.TextChoices):
    """Which way impact analysis walks the graph."""

    DOWN = "down", _("What depends on it (downstream)")
    UP = "up", _("What it depends on (upstream)")
