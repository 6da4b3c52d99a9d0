"""Filtersets of agreements and clocks, shared by the API (and the dashboard to come)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation
from incidents.choices import Priority
from servicedesk.models import Service

from .choices import AgreementKind, ClockState, Metric
from .models import BusinessCalendar, SLAClock, SLADefinition


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
