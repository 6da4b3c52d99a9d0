"""The CI filterset, shared by the CI list page and the API, and the relationship filterset.

Attribute filters: `attr=os:Linux` (repeatable; all must hold) or `attributes__os=Linux`. A value is matched as text
and as each attribute definition of that key types it (`attr=cpu_count:8` finds the number 8), always through
`attributes @> {...}` so the GIN (jsonb_path_ops) index answers.
"""

import re

import django_filters
from django.db.models import CharField, F, Func, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.api.filtersets import ChoicesFilter, ModelChoicesFilter
from core.models import AssignmentGroup, Organisation, User
from core.roles import is_staff_member

from . import attributes as attrs
from .choices import Lifecycle
from .models import CIClass, ConfigurationItem, Relationship, RelationshipType

ATTRIBUTE_PARAM = "attributes__"
UNINDEXED_NAME = Func(F("name"), template="(%(expressions)s || '')", output_field=CharField())
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def attribute_filters(data):
    """[(key, raw value)] from `attr=key:value` and `attributes__key=value` parameters, and error messages."""
    pairs, errors = [], []
    for item in data.getlist("attr") if hasattr(data, "getlist") else ([data["attr"]] if "attr" in data else []):
        if not str(item).strip():
            continue  # the page's empty attribute box
        key, sep, value = str(item).partition(":")
        key = key.strip()
        if not sep or not _KEY.match(key) or not value.strip():
            errors.append(_("“%(item)s”: write an attribute filter as key:value, e.g. os:Linux.") % {"item": item})
            continue
        pairs.append((key, value.strip()))
    for name in data:
        if name.startswith(ATTRIBUTE_PARAM):
            key = name[len(ATTRIBUTE_PARAM):]
            values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            if not _KEY.match(key):
                errors.append(_("“%(name)s” does not name an attribute.") % {"name": name})
                continue
            pairs.extend((key, v.strip()) for v in values if v.strip())
    return pairs, errors


class ConfigurationItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="filter_text",
                                  help_text=gettext_lazy("Part of the name, or the exact external key."))
    ci_class = ModelChoicesFilter(
        label=gettext_lazy("Class"), queryset=CIClass.objects.all(), to_field_name="code", method="filter_class",
        help_text=gettext_lazy("Class codes; a class includes its subclasses."))
    state = ChoicesFilter(label=gettext_lazy("Lifecycle state"), choices=Lifecycle.choices)
    owner = django_filters.ModelChoiceFilter(label=gettext_lazy("Owner"), queryset=User.objects.all())
    organisation = django_filters.ModelChoiceFilter(label=gettext_lazy("Organisation"),
                                                    queryset=Organisation.objects.all())
    support_group = django_filters.ModelChoiceFilter(label=gettext_lazy("Support group"),
                                                     queryset=AssignmentGroup.objects.all())
    location = django_filters.CharFilter(label=gettext_lazy("Location"), lookup_expr="icontains")
    external_source = django_filters.CharFilter(label=gettext_lazy("External source"))
    external_key = django_filters.CharFilter(label=gettext_lazy("External key"))
    stale = django_filters.BooleanFilter(label=gettext_lazy("Not seen by its source lately"), method="filter_stale")
    attr = django_filters.CharFilter(
        label=gettext_lazy("Attribute"), method="filter_attributes",
        help_text=gettext_lazy("key:value, e.g. os:Linux; repeat for several (all must hold). "
                        "attributes__<key>=<value> works too."))
    ordering = django_filters.OrderingFilter(
        label=gettext_lazy("Sort"),
        fields=(("name", "name"), ("state", "state"), ("ci_class__name", "class"), ("updated_at", "updated"),
                ("last_seen_at", "seen")),
    )

    class Meta:
        model = ConfigurationItem
        fields = ["q", "ci_class", "state", "owner", "organisation", "support_group"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None and not is_staff_member(user):
            # Customers do not see each other: an end user's organisation choices are their own (the CIs they see).
            self.filters["organisation"].queryset = Organisation.objects.filter(
                pk=getattr(user, "organisation_id", None))

    def is_valid(self):
        valid = super().is_valid()
        self.attribute_pairs, errors = attribute_filters(self.data)
        for message in errors:
            self.form.add_error(None, message)
        return valid and not errors

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        for key, raw in self.attribute_pairs:
            queryset = queryset.with_attribute(key, attrs.filter_values(key, raw))
        if self.attribute_pairs and not self.form.cleaned_data.get("ordering"):
            # By name, but not through the name index: with an attribute filter PostgreSQL would walk that index
            # and test every CI until 25 match (80,000 rows when the matches sort late); through the GIN index
            # and a top-N sort of the matches it is bounded by how many match.
            queryset = queryset.order_by(UNINDEXED_NAME, "id")
        return queryset

    def filter_attributes(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which sees every repetition and attributes__<key>

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_key=value))

    def filter_class(self, queryset, name, value):
        if not value:
            return queryset
        pairs = list(CIClass.objects.values_list("pk", "parent_id"))
        ids = set().union(*(attrs.descendant_ids(c.pk, pairs) for c in value))
        return queryset.filter(ci_class_id__in=ids)

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        stale = ConfigurationItem.objects.stale().values("pk")
        return queryset.filter(pk__in=stale) if value else queryset.exclude(pk__in=stale)


class RelationshipFilterSet(django_filters.FilterSet):
    ci = django_filters.NumberFilter(label=gettext_lazy("CI (either end)"), method="filter_ci")
    source = django_filters.NumberFilter(label=gettext_lazy("Source CI"), field_name="source_id")
    target = django_filters.NumberFilter(label=gettext_lazy("Target CI"), field_name="target_id")
    type = django_filters.ModelMultipleChoiceFilter(label=gettext_lazy("Type"), queryset=RelationshipType.objects.all(),
                                                    to_field_name="code")
    external_source = django_filters.CharFilter(label=gettext_lazy("External source"))

    class Meta:
        model = Relationship
        fields = ["ci", "source", "target", "type", "external_source"]

    def filter_ci(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value)) if value is not None else queryset
