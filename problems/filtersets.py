"""The one problem filterset, shared by the list page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.api.filtersets import ChoicesFilter
from core.models import AssignmentGroup, User
from core.numbering import format_number, parse_number
from core.textsearch import search_query
from incidents.choices import Priority

from .choices import CandidateState, ProblemSource, ProblemState, TrendDimension
from .models import Problem, ProblemCandidate


class ProblemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    state = ChoicesFilter(label=_("State"), choices=ProblemState.choices, distinct=False)
    priority = ChoicesFilter(label=_("Priority"), choices=Priority.choices, distinct=False)
    source = ChoicesFilter(label=_("Source"), choices=ProblemSource.choices, distinct=False)
    assignment_group = django_filters.ModelChoiceFilter(label=_("Assignment group"),
                                                        queryset=AssignmentGroup.objects.filter(is_active=True))
    assignee = django_filters.ModelChoiceFilter(label=_("Assignee"), queryset=User.objects.filter(is_active=True))
    ordering = django_filters.OrderingFilter(
        label=_("Sort"), fields=(("created_at", "created"), ("updated_at", "updated"), ("priority", "priority"),
                                 ("state", "state")))

    class Meta:
        model = Problem
        fields = ["q", "state", "priority", "source", "assignment_group", "assignee"]

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        number = parse_number("PRB", value)
        if number is not None:
            return queryset.filter(number=format_number("PRB", number))
        query = search_query(value)
        if query is None:
            return queryset.none()
        return queryset.filter(Q(search_vector=query) | Q(internal_search_vector=query))


class CandidateFilterSet(django_filters.FilterSet):
    state = ChoicesFilter(label=_("State"), choices=CandidateState.choices, distinct=False)
    dimension = ChoicesFilter(label=_("Shared"), choices=TrendDimension.choices, distinct=False)

    class Meta:
        model = ProblemCandidate
        fields = ["state", "dimension"]
