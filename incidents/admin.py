from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import PriorityMatrixEntry


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(ReadOnlyAdmin):
    """Read-only here: the matrix is edited on its own page (/desk/incidents/priority-matrix/), through the service
    that checks and audits it. Incidents are changed only through the desk, the portal and the API."""

    list_display = ("impact", "urgency", "priority")
