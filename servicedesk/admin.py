from django.contrib import admin

from .models import Category, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "support_group", "is_active", "is_critical")
    list_filter = ("is_active", "is_critical", "support_group")
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "default_group", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
