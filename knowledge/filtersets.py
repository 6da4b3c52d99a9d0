"""The one article filterset, shared by the desk list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.filtersets import ChoicesFilter
from core.numbering import format_number, parse_number

from .choices import ArticleState, Audience
from .models import PREFIX, Article, ArticleCategory
from .search import search


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    state = ChoicesFilter(label=_("State"), choices=ArticleState.choices, distinct=False)
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=ArticleCategory.objects.all())
    audience = ChoicesFilter(label=_("Audience"), choices=Audience.choices, distinct=False)
    tag = django_filters.CharFilter(label=_("Tag"), method="filter_tag")
    ordering = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(("updated_at", "updated"), ("published_at", "published"), ("view_count", "views"),
                ("helpful_count", "helpful"), ("deflection_count", "deflections"), ("number", "number")),
    )

    class Meta:
        model = Article
        fields = ["q", "state", "category", "audience", "tag"]

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        number = parse_number(PREFIX, value)
        if number is not None and value.upper().startswith(PREFIX):
            return queryset.filter(number=format_number(PREFIX, number))
        # Ranked unless the caller chose a sort (the ordering filter runs after this one and replaces the order).
        return search(queryset, value)

    def filter_tag(self, queryset, name, value):
        value = (value or "").strip().lower()
        return queryset.filter(tags__contains=[value]) if value else queryset
