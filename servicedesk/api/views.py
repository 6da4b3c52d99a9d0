"""Read-only lookups of services and categories, for the portal's pickers and integrations."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets

from servicedesk.models import Category, Service

from .serializers import CategorySerializer, ServiceSerializer


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Service
        fields = ["q", "is_active", "support_group"]


class CategoryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("Active"))
    root = django_filters.BooleanFilter(label=_("Top level only"), field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Category
        fields = ["q", "is_active", "parent", "root"]


class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Service.objects.select_related("support_group").order_by("name")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    ordering_fields = ["name", "created_at"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.select_related("default_group").order_by("name", "id")
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet
    ordering_fields = ["name"]
