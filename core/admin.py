from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AssignmentGroup, Notification, Organisation, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their service functions: the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Service desk"), {"fields": ("organisation", "language", "phone", "sees_organisation_tickets")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "organisation", "language", "is_active")
    list_filter = ("groups", "organisation", "is_active", "language")
    list_select_related = ("organisation",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(AssignmentGroup)
class AssignmentGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "email", "is_active")
    list_filter = ("is_active",)
    filter_horizontal = ("members",)
    search_fields = ("name",)
    autocomplete_fields = ("lead",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "subject", "created_at", "read_at")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "key", "subject", "body", "url", "created_at")


def _superusers_only(request):
    """The Django admin writes around the service functions, so it is a superuser's tool only; the Administrator role
    works in the desk's administration pages (desk/administration/), which keep the rules and the audit context."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
