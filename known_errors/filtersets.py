"""The one known-error filterset, shared by the desk list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.filtersets import ChoicesFilter
from core.numbering import format_number, parse_number
from core.textsearch import search_query
from servicedesk.models import Category, Service

from .choices import State
from .models import KnownError


class KnownErrorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    state = ChoicesFilter(label=_("State"), choices=State.choices, distinct=False)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(("created_at", "created"), ("updated_at", "updated"), ("link_count", "links"),
                ("published_at", "published")),
    )

    class Meta:
        model = KnownError
        fields = ["q", "state", "service", "category"]

    def filter_text(self, queryset, name, value):
        """Every word must match (English stemmed, Chinese by two-character words); a KE number finds that one."""
        value = (value or "").strip()
        if not value:
            return queryset
        number = parse_number("KE", value)
        if number is not None and value.upper().startswith("KE"):
            return queryset.filter(number=format_number("KE", number))
        query = search_query(value)
        if query is None:
            return queryset.none()
        return queryset.filter(search_vector=query)
