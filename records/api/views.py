"""The API base every record kind's viewset stands on: records by number, reads through `visible_to`, no DELETE
(a record is cancelled or closed, never removed), create/update/actions/conversation through the kind's services,
and read-only links and timeline. A kind declares:

    class ProblemViewSet(RecordViewSet):
        queryset = Problem.objects.select_related(...)
        serializer_class = ProblemSerializer
        filterset_class = ProblemFilterSet
        create_serializer_class, update_serializer_class = ProblemCreateSerializer, ProblemUpdateSerializer
        action_serializer_class = action_serializer_for("problem", WORKFLOW, {...})
        create_service = staticmethod(services.create_problem)        # (actor=, **data) -> record
        update_service = staticmethod(services.update_problem)        # (record, actor=, version=, **data)
        action_service = staticmethod(services.act_on_problem)        # (record, action, actor=, version=, **data)
        comment_service = staticmethod(services.add_problem_comment)  # (record, actor=, body=, internal=)
"""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer
from core.api.views import VisibleModelViewSet
from core.numbering import normalise_number
from core.roles import is_staff_member

from ..links import links_of
from ..timeline import timeline_of
from .serializers import (
    RecordCommentCreateSerializer,
    RecordCommentSerializer,
    RecordLinkSerializer,
    TimelineEventSerializer,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such record, or not visible to the caller.")),
    409: OpenApiResponse(ErrorSerializer, description=_("Not allowed from this state (with the allowed actions), "
                                                        "or a stale version.")),
}


class RecordViewSet(VisibleModelViewSet):
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_serializer_class = None
    update_serializer_class = None
    action_serializer_class = None
    create_service = None
    update_service = None
    action_service = None
    comment_service = None

    def get_queryset(self):
        return super().get_queryset().defer("search_vector", "internal_search_vector")

    def get_object(self):
        prefix = self.get_queryset().model.kind().prefix
        self.kwargs[self.lookup_field] = normalise_number(prefix, self.kwargs[self.lookup_field])
        return super().get_object()

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _answer(self, record, status_code=status.HTTP_200_OK, headers=None):
        """The record as the caller now sees it (re-read through the authorisation layer)."""
        fresh = self.get_queryset().get(pk=record.pk)
        return Response(self.get_serializer(fresh).data, status=status_code, headers=headers)

    def destroy(self, request, *args, **kwargs):
        raise MethodNotAllowed("DELETE")

    def create(self, request, *args, **kwargs):
        if self.create_service is None:
            raise MethodNotAllowed("POST")
        record = self.create_service(actor=request.user, **self._validated(self.create_serializer_class))
        location = self.reverse_action("detail", kwargs={"number": record.number})
        return self._answer(record, status.HTTP_201_CREATED, headers={"Location": location})

    def update(self, request, *args, **kwargs):
        raise MethodNotAllowed("PUT")

    def partial_update(self, request, *args, **kwargs):
        if self.update_service is None:
            raise MethodNotAllowed("PATCH")
        record = self.get_object()
        changes = self._validated(self.update_serializer_class)
        version = changes.pop("version", None)
        self.update_service(record, actor=request.user, version=version, **changes)
        return self._answer(record)

    @action(detail=True, methods=["post"], filter_backends=[])
    def actions(self, request, number=None):
        record = self.get_object()
        data = self._validated(self.action_serializer_class)
        self.action_service(record, data.pop("action"), actor=request.user, **data)
        return self._answer(record)

    @extend_schema(responses={200: RecordCommentSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request, number=None):
        record = self.get_object()
        if not hasattr(record, "comments"):
            raise NotFound()
        queryset = record.comments.select_related("author").order_by("created_at", "id")
        if not is_staff_member(request.user):
            queryset = queryset.filter(is_internal=False)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RecordCommentSerializer(page, many=True).data)

    @extend_schema(request=RecordCommentCreateSerializer,
                   responses={201: RecordCommentSerializer, **ERRORS})
    @comments.mapping.post
    def add_comment(self, request, number=None):
        if self.comment_service is None:
            raise MethodNotAllowed("POST")
        record = self.get_object()
        data = self._validated(RecordCommentCreateSerializer)
        comment = self.comment_service(record, actor=request.user, body=data["body"], internal=data["is_internal"])
        return Response(RecordCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RecordLinkSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def links(self, request, number=None):
        record = self.get_object()
        rows = [{"link": link, "label": str(label), "other": other, "kind": other.kind().key}
                for link, label, other in links_of(record, request.user)]
        return Response(RecordLinkSerializer(rows, many=True).data)

    @extend_schema(responses={200: TimelineEventSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, number=None):
        record = self.get_object()
        return Response(TimelineEventSerializer(timeline_of(record, request.user), many=True).data)
