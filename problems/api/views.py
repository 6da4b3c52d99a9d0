"""The problem API: every read through `Problem.objects.visible_to` (staff only: others get 404), every change
through problems.services; trend candidates accepted or dismissed through problems.trends."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer, StaleVersionErrorSerializer
from core.api.views import VisibleModelViewSet
from core.roles import is_staff_member

from .. import services, trends
from ..filtersets import CandidateFilterSet, ProblemFilterSet
from ..models import Problem, ProblemCandidate
from .serializers import (
    CandidateAcceptSerializer,
    CandidateSerializer,
    ProblemActionResultSerializer,
    ProblemActionSerializer,
    ProblemCreateSerializer,
    ProblemDetailSerializer,
    ProblemIllegalTransitionErrorSerializer,
    ProblemSerializer,
    ProblemUpdateSerializer,
)

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such problem, or not visible to the caller.")),
}


@extend_schema_view(
    list=extend_schema(summary=_("Problems (staff), filtered, sorted and paginated")),
    retrieve=extend_schema(summary=_("One problem"), responses={200: ProblemDetailSerializer, 404: _ERRORS[404]}),
)
class ProblemViewSet(VisibleModelViewSet):
    """Problems by number (PRB-000123). No DELETE: a problem is cancelled, never removed."""

    queryset = Problem.objects.select_related("assignment_group", "assignee", "service", "category").defer(
        "search_vector", "internal_search_vector")
    serializer_class = ProblemSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filterset_class = ProblemFilterSet
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _detail(self, problem, status_code=status.HTTP_200_OK, headers=None):
        fresh = self.get_queryset().get(pk=problem.pk)
        return Response(ProblemDetailSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status_code, headers=headers)

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def retrieve(self, request, *args, **kwargs):
        return Response(ProblemDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        raise MethodNotAllowed("PUT")

    @extend_schema(summary=_("Raise a problem (staff), linking the incidents it causes"),
                   request=ProblemCreateSerializer, responses={201: ProblemDetailSerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        data = self._validated(ProblemCreateSerializer)
        problem = services.create_problem(actor=request.user, **data)
        location = self.reverse_action("detail", kwargs={"number": problem.number})
        return self._detail(problem, status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(summary=_("Change a problem's fields (staff; needs the version you read)"),
                   request=ProblemUpdateSerializer,
                   responses={200: ProblemDetailSerializer, **_ERRORS,
                              409: OpenApiResponse(StaleVersionErrorSerializer, description=_("Stale or closed."))})
    def partial_update(self, request, *args, **kwargs):
        problem = self.get_object()
        changes = self._validated(ProblemUpdateSerializer)
        version = changes.pop("version")
        services.update_problem(problem, actor=request.user, version=version, **changes)
        return self._detail(problem)

    @extend_schema(summary=_("Move the problem through its lifecycle (resolve may resolve its incidents too)"),
                   request=ProblemActionSerializer,
                   responses={200: ProblemActionResultSerializer, **_ERRORS,
                              409: OpenApiResponse(ProblemIllegalTransitionErrorSerializer,
                                                   description=_("Not allowed from this state (with the allowed "
                                                                 "actions), or a stale version."))})
    @action(detail=True, methods=["post"], filter_backends=[])
    def actions(self, request, number=None):
        problem = self.get_object()
        data = self._validated(ProblemActionSerializer)
        problem, report = services.take_action(problem, data.pop("action"), actor=request.user,
                                               version=data.pop("version", None), **data)
        fresh = self.get_queryset().get(pk=problem.pk)
        report = report or {"resolved": [], "failed": []}
        return Response({
            "problem": ProblemDetailSerializer(fresh, context=self.get_serializer_context()).data,
            "resolved_incidents": report["resolved"],
            "failed_incidents": [{"number": n, "reason": r} for n, r in report["failed"]],
        })


class CandidateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trend candidates (staff): clusters of incidents proposed as problems; problem managers and leads decide."""

    serializer_class = CandidateSerializer
    filterset_class = CandidateFilterSet
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = ProblemCandidate.objects.select_related("problem").prefetch_related("incidents")
        if getattr(self, "swagger_fake_view", False) or is_staff_member(self.request.user):
            return queryset
        return queryset.none()

    @extend_schema(summary=_("Accept: raise a problem from the candidate, its incidents linked"),
                   request=CandidateAcceptSerializer,
                   responses={200: CandidateSerializer, **_ERRORS,
                              409: OpenApiResponse(ErrorSerializer, description=_("Already decided."))})
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        data = CandidateAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = trends.accept_candidate(self.get_object(), actor=request.user,
                                            title=data.validated_data.get("title") or None)
        return Response(CandidateSerializer(candidate).data)

    @extend_schema(summary=_("Dismiss: the cluster is not proposed again"), request=None,
                   responses={200: CandidateSerializer, **_ERRORS,
                              409: OpenApiResponse(ErrorSerializer, description=_("Already decided."))})
    @action(detail=True, methods=["post"], filter_backends=[])
    def dismiss(self, request, pk=None):
        candidate = trends.dismiss_candidate(self.get_object(), actor=request.user)
        return Response(CandidateSerializer(candidate).data)
