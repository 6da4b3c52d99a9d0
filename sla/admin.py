from django.contrib import admin

from .forms import BusinessCalendarForm, CalendarExceptionForm, ExceptionPeriodFormSet, WorkingPeriodFormSet
from .models import BusinessCalendar, CalendarException, ExceptionPeriod, WorkingPeriod
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
