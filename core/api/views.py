"""API base classes and the shared lookups (people, organisations, groups, the caller).

Every viewset serves only what the authorisation layer lets the caller see: incident-like records through
`Model.objects.visible_to(user)`, people and organisations through the restrictions below.
"""

from django.db.models import Prefetch
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import generics, mixins, permissions, viewsets

from core.models import AssignmentGroup, Organisation, SavedView, User
from core.roles import is_admin, is_staff_member
from core.saved_views import create_saved_view, delete_saved_view

from .filtersets import AssignmentGroupFilterSet, OrganisationFilterSet, SavedViewFilterSet, UserFilterSet
from .serializers import (
    AssignmentGroupSerializer,
    MeSerializer,
    OrganisationSerializer,
    SavedViewSerializer,
    UserSerializer,
)


class VisibleQuerysetMixin:
    """A view whose queryset always passes through `Model.objects.visible_to(user)`.

    Subclasses set `queryset` (with select_related/prefetch_related for a constant query count); the restriction is
    applied here so no endpoint can forget it.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class VisibleModelViewSet(VisibleQuerysetMixin, viewsets.ModelViewSet):
    """A full model viewset restricted by `visible_to` (VisibleQuerysetMixin)."""


class IsAdministratorOrReadOnly(permissions.IsAuthenticated):
    """Anyone signed in may read; only administrators may change (rules that administrators own, e.g. the matrix)."""

    message = _("Only an administrator may change this.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or is_admin(request.user)


def _is_schema_generation(view):
    return getattr(view, "swagger_fake_view", False)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """People, for assignment pickers and integrations. Staff see everyone; an end user sees only themselves."""

    queryset = User.objects.select_related("organisation").prefetch_related("groups").order_by("username")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "last_name", "first_name", "date_joined"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if _is_schema_generation(self) or is_staff_member(self.request.user):
            return queryset
        return queryset.filter(pk=self.request.user.pk)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers. Staff see all of them; an end user sees only their own (customers do not see each other)."""

    queryset = Organisation.objects.order_by("name")
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    ordering_fields = ["name", "code", "created_at"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if _is_schema_generation(self) or is_staff_member(self.request.user):
            return queryset
        return queryset.filter(pk=self.request.user.organisation_id)


class AssignmentGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams with their lead and members (names only), readable by everyone signed in."""

    queryset = AssignmentGroup.objects.select_related("lead").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("username"))
    ).order_by("name")
    serializer_class = AssignmentGroupSerializer
    filterset_class = AssignmentGroupFilterSet
    ordering_fields = ["name"]


class SavedViewViewSet(VisibleQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Saved views of record lists (e.g. list_key=incidents): the caller's own and those shared with their groups.
    Staff save views; only a view's owner deletes it."""

    queryset = SavedView.objects.select_related("owner").order_by("list_key", "name", "id")
    serializer_class = SavedViewSerializer
    filterset_class = SavedViewFilterSet

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = create_saved_view(
            owner=self.request.user, list_key=data["list_key"], name=data["name"], query=data.get("query", ""),
            columns=data.get("columns") or (), sort=data.get("sort", ""), shared_with=data.get("shared_with"))

    def perform_destroy(self, instance):
        delete_saved_view(instance, actor=self.request.user)


class MeView(generics.RetrieveAPIView):
    """The caller's own record, roles and capabilities."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


@csrf_exempt  # a write to an unknown API path is a JSON 404 (as DRF views answer), not Django's HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """Any other path under the API answers JSON, like every API error (not the site's HTML 404 page)."""
    return JsonResponse({"detail": str(_("Not found."))}, status=404)
