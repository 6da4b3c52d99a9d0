"""Forms of the calendar pages. They only shape input; sla.services checks it (the same as for the API) and the
views put its errors back on these fields and rows.

The admin site's forms (sla.forms) validate and save model instances themselves; the pages call the services
instead (row locks, one announcement to the clocks), so only their labels are shared, through the models.
"""

import zoneinfo
from datetime import time

from django import forms
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..choices import Weekday
from ..models import BusinessCalendar, CalendarException, WorkingPeriod
from .common import INPUT, SELECT, RowForm, RowFormSet, fingerprint, leave_validation_to_the_service

TIME_INPUT = forms.TimeInput(attrs={**INPUT, "type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [("", "—"), *Weekday.choices]


def time_zone_names():
    return sorted(zoneinfo.available_timezones())


def _weekday_field(label, required=False, help_text=""):
    return forms.TypedChoiceField(label=label, choices=WEEKDAY_CHOICES, coerce=int, empty_value=None,
                                  required=required, help_text=help_text, widget=forms.Select(attrs=SELECT))


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


class CalendarForm(forms.Form):
    """Name, time zone and description of a calendar (its periods are the PeriodFormSet beside it)."""

    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(BusinessCalendar, fields=["name", "time_zone", "description"], widgets={
            "name": forms.TextInput(attrs=INPUT), "time_zone": forms.TextInput(attrs={**INPUT, "list": "time-zones"}),
            "description": forms.Textarea(attrs={**INPUT, "rows": 2}),
        }))
        leave_validation_to_the_service(self)

    def values(self):
        return {name: self.cleaned_data[name] for name in ("name", "time_zone", "description")}


def calendar_stamp(calendar):
    """What a calendar edit can overwrite: its fields and weekly periods (not its exceptions)."""
    periods = sorted(calendar.periods.values_list("weekday", "start_time", "end_time"))
    return fingerprint(calendar.name, calendar.time_zone, calendar.description, periods)


def calendar_initial(calendar):
    return {"name": calendar.name, "time_zone": calendar.time_zone, "description": calendar.description,
            "stamp": calendar_stamp(calendar)}


class PeriodForm(RowForm):
    REQUIRED = ("weekday", "start_time", "end_time")

    weekday = _weekday_field(_label(WorkingPeriod, "weekday"))
    start_time = forms.TimeField(label=_label(WorkingPeriod, "start_time"), required=False, widget=TIME_INPUT)
    end_time = forms.TimeField(label=_label(WorkingPeriod, "end_time"), required=False, widget=TIME_INPUT,
                               help_text=WorkingPeriod._meta.get_field("end_time").help_text)


class ExceptionPeriodForm(RowForm):
    REQUIRED = ("start_time", "end_time")

    start_time = forms.TimeField(label=_label(WorkingPeriod, "start_time"), required=False, widget=TIME_INPUT)
    end_time = forms.TimeField(label=_label(WorkingPeriod, "end_time"), required=False, widget=TIME_INPUT)


PeriodFormSet = forms.formset_factory(PeriodForm, formset=RowFormSet, extra=3, can_delete=True)
ExceptionPeriodFormSet = forms.formset_factory(ExceptionPeriodForm, formset=RowFormSet, extra=2, can_delete=True)

# A new calendar starts as an office week (the administrator changes it before saving, or not).
OFFICE_WEEK = [{"weekday": day, "start_time": time(9), "end_time": time(18)} for day in range(5)]


def period_formset(data=None, periods=None):
    """The weekly periods as rows (prefix "periods"); `periods` are the initial rows on a GET."""
    return PeriodFormSet(data, prefix="periods", initial=None if data is not None else periods)


class ExceptionForm(forms.Form):
    """A holiday or an extra working day; an extra working day works like a weekday or has its own periods."""

    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(CalendarException, fields=["date", "kind", "name"], widgets={
            "date": forms.DateInput(attrs={**INPUT, "type": "date"}, format="%Y-%m-%d"),
            "kind": forms.Select(attrs=SELECT), "name": forms.TextInput(attrs=INPUT),
        }))
        help_text = CalendarException._meta.get_field("works_like_weekday").help_text
        self.fields["works_like_weekday"] = _weekday_field(_label(CalendarException, "works_like_weekday"),
                                                           help_text=help_text)

    def values(self):
        return {name: self.cleaned_data[name] for name in ("date", "kind", "name", "works_like_weekday")}


def exception_stamp(exception):
    periods = sorted(exception.periods.values_list("start_time", "end_time"))
    return fingerprint(exception.date, exception.kind, exception.name, exception.works_like_weekday, periods)


def exception_initial(exception):
    return {"date": exception.date, "kind": exception.kind, "name": exception.name,
            "works_like_weekday": exception.works_like_weekday, "stamp": exception_stamp(exception)}


class FillForm(forms.Form):
    """A year of public holidays and make-up working days from the holidays library."""

    year = forms.IntegerField(label=_("Year"), min_value=1950, max_value=2100,
                              widget=forms.NumberInput(attrs={**INPUT, "style": "width: 7rem"}))
    country = forms.CharField(label=_("Country"), max_length=3, initial="CN", help_text=_("ISO 3166-1 code, e.g. CN."),
                              widget=forms.TextInput(attrs={**INPUT, "style": "width: 5rem"}))
    subdiv = forms.CharField(label=_("Subdivision"), max_length=10, required=False,
                             help_text=_("A subdivision (province, state), if the country has them."),
                             widget=forms.TextInput(attrs={**INPUT, "style": "width: 7rem"}))
    works_like_weekday = _weekday_field(
        _("Make-up days work like"),
        help_text=_("The weekday whose periods make-up working days use (default: the first working weekday)."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year, "country": "CN"})
        super().__init__(*args, **kwargs)
