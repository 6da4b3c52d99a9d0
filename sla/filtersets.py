"""Filtersets of calendars, their exceptions, agreements and clocks, shared by the API (and the dashboard to come)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation
from incidents.choices import Priority
from servicedesk.models import Service

from .choices import AgreementKind, ClockState, ExceptionKind, Metric
from .models import BusinessCalendar, CalendarException, SLAClock, SLADefinition


class BusinessCalendarFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = BusinessCalendar
        fields = ["q", "time_zone"]


class CalendarExceptionFilterSet(django_filters.FilterSet):
    # Bounded: a year the date type cannot hold (0, 99999) is a 400, not an error in the year lookup.
    year = django_filters.NumberFilter(label=_("Year"), field_name="date", lookup_expr="year", min_value=1,
                                       max_value=9999)
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ExceptionKind.choices)

    class Meta:
        model = CalendarException
        fields = ["year", "date_from", "date_to", "kind"]


class SLADefinitionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgreementKind.choices)
    is_active = django_filters.BooleanFilter(label=_("Active"))
    calendar = django_filters.ModelChoiceFilter(label=_("Calendar"), queryset=BusinessCalendar.objects.all())
    service = django_filters.ModelChoiceFilter(label=_("Service"), field_name="services",
                                               queryset=Service.objects.all())

    class Meta:
        model = SLADefinition
        fields = ["q", "kind", "is_active", "calendar", "service"]


class SLAClockFilterSet(django_filters.FilterSet):
    incident = django_filters.CharFilter(label=_("Incident number"), field_name="incident__number")
    sla = django_filters.ModelChoiceFilter(label=_("Agreement"), queryset=SLADefinition.objects.all())
    sla_kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgreementKind.choices)
    metric = django_filters.ChoiceFilter(label=_("Metric"), choices=Metric.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=ClockState.choices)
    met = django_filters.BooleanFilter(label=_("Met"))
    breached = django_filters.BooleanFilter(label=_("Breached"))
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    assignment_group = django_filters.ModelChoiceFilter(label=_("Assignment group"),
                                                        queryset=AssignmentGroup.objects.all())
    organisation = django_filters.ModelChoiceFilter(label=_("Organisation"), queryset=Organisation.objects.all())
    due_before = django_filters.IsoDateTimeFilter(label=_("Due before"), field_name="due_at", lookup_expr="lt")

    class Meta:
        model = SLAClock
        fields = ["incident", "sla", "sla_kind", "metric", "state", "met", "breached", "priority", "service",
                  "assignment_group", "organisation", "due_before"]
