"""Filtersets of the shared lookups (people, organisations, groups) used by the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, SavedView, User
from core.roles import Role


def _without_empty(field_class):
    class Field(field_class):
        def clean(self, value):
            return super().clean([v for v in value or [] if v != ""])
    return Field


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """Any of several choices; an empty value (a select's "any" option) restricts nothing, where
    MultipleChoiceFilter would refuse it (a 400 for choosing "all" in a filter)."""

    field_class = _without_empty(django_filters.fields.MultipleChoiceField)


class ModelChoicesFilter(django_filters.ModelMultipleChoiceFilter):
    """Any of several records; an empty value restricts nothing (as ChoicesFilter)."""

    field_class = _without_empty(django_filters.fields.ModelMultipleChoiceField)


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    organisation = django_filters.ModelChoiceFilter(label=_("Organisation"), queryset=Organisation.objects.all())
    group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), field_name="assignment_groups", queryset=AssignmentGroup.objects.all()
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"), field_name="groups__name", choices=list(Role.LABELS.items()), distinct=True
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["q", "organisation", "group", "role", "is_active"]

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value) | Q(first_name__icontains=value) | Q(last_name__icontains=value)
            | Q(email__icontains=value) | Q(phone__icontains=value) | Q(organisation__name__icontains=value)
        )


class OrganisationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")

    class Meta:
        model = Organisation
        fields = ["q", "code"]

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset


class AssignmentGroupFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    member = django_filters.ModelChoiceFilter(
        label=_("Member"), field_name="members", queryset=User.objects.filter(is_active=True)
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = AssignmentGroup
        fields = ["q", "member", "is_active"]


class SavedViewFilterSet(django_filters.FilterSet):
    list_key = django_filters.CharFilter(label=_("List"))

    class Meta:
        model = SavedView
        fields = ["list_key"]
