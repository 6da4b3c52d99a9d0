from django.contrib import admin

from .models import IdpGroupRole, MfaRequiredRole


@admin.register(MfaRequiredRole)
class MfaRequiredRoleAdmin(admin.ModelAdmin):
    list_display = ("role",)


@admin.register(IdpGroupRole)
class IdpGroupRoleAdmin(admin.ModelAdmin):
    list_display = ("group", "role", "provider")
    list_filter = ("role", "provider")
    search_fields = ("group",)
