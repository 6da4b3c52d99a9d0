from django.contrib import admin

from .models import PriorityMatrixEntry


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(admin.ModelAdmin):
    """Read-only here: the matrix is edited on its own page (/desk/incidents/priority-matrix/), through the service
    that checks and audits it. Incidents are changed only through the desk, the portal and the API."""

    list_display = ("impact", "urgency", "priority")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
