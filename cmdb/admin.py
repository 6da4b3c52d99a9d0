"""Administrators define CI classes (with their attributes) and relationship types here. CIs, relationships and
imports are changed only through the CMDB pages, the API and the importer, where the services keep the rules.
"""

from django.contrib import admin

from . import services
from .models import AttributeDefinition, CIClass, RelationshipType


class AttributeDefinitionInline(admin.TabularInline):
    model = AttributeDefinition
    extra = 1
    fields = ("position", "key", "label", "type", "required", "unique", "choices", "help_text")


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "parent", "is_service", "colour")
    list_filter = ("is_service",)
    search_fields = ("name", "code")
    inlines = [AttributeDefinitionInline]

    def save_formset(self, request, form, formset, change):
        # A removed definition also removes its values from the CIs (recorded in their history).
        instances = formset.save(commit=False)
        for definition in formset.deleted_objects:
            services.delete_attribute_definition(definition, actor=request.user)
        for instance in instances:
            instance.save()
        formset.save_m2m()


@admin.register(RelationshipType)
class RelationshipTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "forward_label", "reverse_label", "propagates_impact", "allows_cycles")
    list_filter = ("propagates_impact", "allows_cycles")
    filter_horizontal = ("allowed_source_classes", "allowed_target_classes")
