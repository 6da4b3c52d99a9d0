"""The known-error API: every read goes through `KnownError.objects.visible_to` (staff only: anyone else is answered
404, as if there were none), every change through known_errors.services."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer
from core.api.views import VisibleModelViewSet
from core.numbering import normalise_number
from core.roles import is_staff_member

from .. import services
from ..filtersets import KnownErrorFilterSet
from ..models import KnownError
from .serializers import (
    KnownErrorConflictSerializer,
    KnownErrorCreateSerializer,
    KnownErrorDetailSerializer,
    KnownErrorSerializer,
    KnownErrorTransitionSerializer,
    KnownErrorUpdateSerializer,
    LinkIncidentSerializer,
)

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such known error, or not visible.")),
}
_CONFLICT = OpenApiResponse(KnownErrorConflictSerializer, description=gettext_lazy(
    "Not allowed from this state (with the allowed actions), or a stale version."))


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Known errors, filtered, searched (Chinese and English) and paginated")),
    retrieve=extend_schema(summary=gettext_lazy("One known error"),
                           responses={200: KnownErrorDetailSerializer, 404: _ERRORS[404]}),
)
class KnownErrorViewSet(VisibleModelViewSet):
    """Known errors by number (KE-000042). Staff only. No DELETE: a known error is retired, never removed."""

    queryset = KnownError.objects.select_related("service", "category", "requester")
    serializer_class = KnownErrorSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filterset_class = KnownErrorFilterSet
    filter_backends = [DjangoFilterBackend]
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not is_staff_member(request.user):
            raise NotFound  # known errors do not exist for end users

    def get_queryset(self):
        queryset = super().get_queryset().defer("search_vector", "internal_search_vector")
        if self.action == "list":
            return queryset.defer("description", "symptoms", "root_cause", "workaround")
        return queryset.prefetch_related("configuration_items__ci_class")

    def get_object(self):
        self.kwargs[self.lookup_field] = normalise_number("KE", self.kwargs[self.lookup_field])
        return super().get_object()

    def _detail(self, known_error, status_code=status.HTTP_200_OK, headers=None):
        fresh = self.get_queryset().get(pk=known_error.pk)
        data = KnownErrorDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def retrieve(self, request, *args, **kwargs):
        return Response(KnownErrorDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        raise MethodNotAllowed("PUT")

    @extend_schema(exclude=True)
    def destroy(self, request, *args, **kwargs):
        raise MethodNotAllowed("DELETE")

    def _problem(self, number):
        kind = services.problem_kind()
        if kind is None or not number:
            return None  # the problems app is not installed: nothing to link
        problem = kind.model.objects.visible_to(self.request.user).filter(
            number=normalise_number(kind.prefix, number)).first()
        if problem is None:
            raise ValidationError({"problem": _("No problem %(number)s.") % {"number": number}})
        return problem

    @extend_schema(summary=gettext_lazy("Write a draft known error (staff)"), request=KnownErrorCreateSerializer,
                   responses={201: KnownErrorDetailSerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        data = self._validated(KnownErrorCreateSerializer)
        data["problem"] = self._problem(data.pop("problem", None))
        known_error = services.create_known_error(actor=request.user, **data)
        location = self.reverse_action("detail", kwargs={"number": known_error.number})
        return self._detail(known_error, status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(summary=gettext_lazy("Change a known error's fields (staff; needs the version you read)"),
                   request=KnownErrorUpdateSerializer,
                   responses={200: KnownErrorDetailSerializer, **_ERRORS, 409: _CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        known_error = self.get_object()
        changes = self._validated(KnownErrorUpdateSerializer)
        version = changes.pop("version")
        services.update_known_error(known_error, actor=request.user, version=version, **changes)
        return self._detail(known_error)

    @extend_schema(summary=gettext_lazy("Publish, retire, revise or republish (leads and problem managers)"),
                   request=KnownErrorTransitionSerializer,
                   responses={200: KnownErrorDetailSerializer, **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, number=None):
        known_error = self.get_object()
        data = self._validated(KnownErrorTransitionSerializer)
        services.ACTIONS[data["action"]](known_error, actor=request.user, version=data.get("version"))
        return self._detail(known_error)

    @extend_schema(summary=gettext_lazy("Link an incident to this published known error (counted once per incident)"),
                   request=LinkIncidentSerializer,
                   responses={200: KnownErrorDetailSerializer, **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["post"], url_path="link-incident", filter_backends=[])
    def link_incident(self, request, number=None):
        known_error = self.get_object()
        data = self._validated(LinkIncidentSerializer)
        services.link_to_incident(known_error, data["incident"], actor=request.user)
        return self._detail(known_error)
