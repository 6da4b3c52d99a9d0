"""The filterset base every record kind's list page and API share: state, group, assignee, search (Chinese and
English, core.textsearch), ordering. A kind subclasses it with its model and any fields of its own."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.api.filtersets import ChoicesFilter, ModelChoicesFilter
from core.models import AssignmentGroup, User
from core.roles import is_staff_member
from core.textsearch import search_query


class RecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    state = ChoicesFilter(label=_("State"), choices=[])
    assignment_group = ModelChoicesFilter(
        label=_("Group"), queryset=AssignmentGroup.objects.filter(is_active=True).order_by("name"))
    assignee = ModelChoicesFilter(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True, assignment_groups__isnull=False).distinct())
    ordering = django_filters.OrderingFilter(
        label=_("Sort"), fields=(("created_at", "created"), ("updated_at", "updated"), ("number", "number")))

    class Meta:
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        workflow = self.queryset.model.kind().workflow
        self.filters["state"].extra["choices"] = list(workflow.state_labels.items())

    def filter_search(self, queryset, name, value):
        query = search_query(value)
        if query is None:
            return queryset
        if is_staff_member(getattr(self.request, "user", None)):  # internal notes are searchable by staff only
            return queryset.filter(Q(search_vector=query) | Q(internal_search_vector=query))
        return queryset.filter(search_vector=query)
