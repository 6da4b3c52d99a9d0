"""The one incident filterset, shared by the agent queue page and the API."""


import django_filters
from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from core.api.filtersets import ChoicesFilter
from core.models import AssignmentGroup, Organisation, User
from core.numbering import format_number, parse_number
from core.roles import is_staff_member
from core.textsearch import search_query
from servicedesk.models import Category, Service

from .choices import OPEN_STATES, Channel, Priority, State
from .models import Incident

# "INC-000123", "inc-123" or "123" (ASCII digits only: int() refuses "²", which str.isdigit accepts).


class _NumericNumberOrdering(django_filters.OrderingFilter):
    """Sorts "number" by its numeric value: the text is zero-padded to six digits only, so a longer text is a
    larger number (INC-1000123 after INC-999999) and length first, then text, is numeric order on the unique index's
    column without a new field."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and any(v.lstrip("-") == "number" for v in value):
            ordering = []
            for field in qs.query.order_by:
                if isinstance(field, str) and field.lstrip("-") == "number":
                    length = Length("number")
                    ordering += [length.desc() if field.startswith("-") else length.asc(), field]
                else:
                    ordering.append(field)
            qs = qs.order_by(*ordering)
        return qs


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    state = ChoicesFilter(label=_("State"), choices=State.choices, distinct=False)
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    priority = ChoicesFilter(label=_("Priority"), choices=Priority.choices, distinct=False)
    channel = ChoicesFilter(label=_("Channel"), choices=Channel.choices, distinct=False)
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), queryset=AssignmentGroup.objects.filter(is_active=True)
    )
    assignee = django_filters.ModelChoiceFilter(label=_("Assignee"), queryset=User.objects.filter(is_active=True))
    organisation = django_filters.ModelChoiceFilter(label=_("Organisation"), queryset=Organisation.objects.all())
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())
    mine = django_filters.BooleanFilter(label=_("Assigned to me"), method="filter_mine")
    unassigned = django_filters.BooleanFilter(label=_("Unassigned"), method="filter_unassigned")
    my_groups = django_filters.BooleanFilter(label=_("My groups"), method="filter_my_groups")
    breaching_soon = django_filters.BooleanFilter(label=_("Breaching soon"), method="filter_breaching_soon")
    is_major = django_filters.BooleanFilter(label=_("Major incident"))
    created_after = django_filters.IsoDateTimeFilter(label=_("Created after"), field_name="created_at",
                                                     lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(label=_("Created before"), field_name="created_at",
                                                      lookup_expr="lt")
    ordering = _NumericNumberOrdering(
        label=_("Sort"),
        fields=(("created_at", "created"), ("updated_at", "updated"), ("priority", "priority"), ("number", "number"),
                ("state", "state")),
    )

    class Meta:
        model = Incident
        fields = ["q", "state", "priority", "assignment_group", "assignee", "mine", "unassigned"]

    def _user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        number = parse_number("INC", value)
        if number is not None:
            return queryset.filter(number=format_number("INC", number))
        query = search_query(value)
        if query is None:
            return queryset.none()
        condition = Q(search_vector=query)
        if is_staff_member(getattr(self.request, "user", None)):
            condition |= Q(internal_search_vector=query)
        return queryset.filter(condition)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_STATES) if value else queryset.exclude(state__in=OPEN_STATES)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None and user.is_authenticated:
            return queryset.filter(assignee=user)
        return queryset

    def filter_unassigned(self, queryset, name, value):
        if value:
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_my_groups(self, queryset, name, value):
        user = self._user()
        if value and user is not None:
            return queryset.filter(assignment_group__in=user.assignment_groups.filter(is_active=True))
        return queryset

    def filter_breaching_soon(self, queryset, name, value):
        """Open incidents with a running SLA clock past its first warning and not yet breached (the SLA app's
        "at risk"), through the clocks' reverse relation: the incident app does not import the SLA app."""
        if not value:
            return queryset
        clocks = apps.get_model("sla", "SLAClock").objects.filter(incident=OuterRef("pk"))
        at_risk = clocks.filter(state="running", handled_percent__gt=0, breached=False)
        return queryset.filter(Exists(at_risk), state__in=OPEN_STATES)
