from django.contrib import admin

from core.admin import ReadOnlyAdmin

from . import recompute
from .forms import BusinessCalendarForm, CalendarExceptionForm, ExceptionPeriodFormSet, WorkingPeriodFormSet
from .models import (
    BusinessCalendar,
    CalendarException,
    ClockThresholdEvent,
    EscalationStep,
    ExceptionPeriod,
    SLAClock,
    SLADefinition,
    SLATarget,
    WorkingPeriod,
)
from .signals import announce_calendar_changed


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    extra = 0


class ExceptionPeriodInline(admin.TabularInline):
    model = ExceptionPeriod
    formset = ExceptionPeriodFormSet
    extra = 0


class AnnouncesCalendarChanges:
    """Clocks over a calendar are recomputed after a change (the API does this through sla.services)."""

    def calendar_id_of(self, obj):
        return obj.calendar_id

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        announce_calendar_changed(self.calendar_id_of(form.instance))

    def delete_model(self, request, obj):
        calendar_id = self.calendar_id_of(obj)
        super().delete_model(request, obj)
        announce_calendar_changed(calendar_id)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AnnouncesCalendarChanges, admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone")
    search_fields = ("name",)
    inlines = [WorkingPeriodInline]

    def calendar_id_of(self, obj):
        return obj.pk


@admin.register(CalendarException)
class CalendarExceptionAdmin(AnnouncesCalendarChanges, admin.ModelAdmin):
    form = CalendarExceptionForm
    list_display = ("date", "calendar", "kind", "name", "works_like_weekday")
    list_filter = ("calendar", "kind")
    date_hierarchy = "date"
    search_fields = ("name",)
    inlines = [ExceptionPeriodInline]


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(SLADefinition)
class SLADefinitionAdmin(admin.ModelAdmin):
    """Agreements; a change re-derives the checkpoints and has the open clocks recomputed (as sla.definitions does)."""

    list_display = ("name", "kind", "is_active", "calendar", "reopen_policy")
    list_filter = ("kind", "is_active", "calendar")
    search_fields = ("name", "party")
    filter_horizontal = ("services", "organisations", "assignment_groups")
    inlines = [SLATargetInline, EscalationStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        agreement = form.instance
        SLADefinition.objects.filter(pk=agreement.pk).update(checkpoints=agreement.compute_checkpoints())
        if change:
            recompute.mark_stale([agreement.pk])


@admin.register(SLAClock)
class SLAClockAdmin(ReadOnlyAdmin):
    list_display = ("incident", "sla", "metric", "state", "met", "breached", "due_at", "stopped_at")
    list_filter = ("state", "metric", "met", "breached", "sla_kind", "sla")
    list_select_related = ("incident", "sla")
    raw_id_fields = ("incident",)
    date_hierarchy = "started_at"


@admin.register(ClockThresholdEvent)
class ClockThresholdEventAdmin(ReadOnlyAdmin):
    list_display = ("clock", "run", "threshold_percent", "reached_at", "handled_at", "notified_at")
    list_filter = ("threshold_percent",)
    raw_id_fields = ("clock",)
