"""The incident API: every read goes through `Incident.objects.visible_to`, every change through incidents.services."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cmdb.models import ConfigurationItem
from core.api.serializers import ErrorSerializer, StaleVersionErrorSerializer
from core.api.views import IsAdministratorOrReadOnly, VisibleModelViewSet
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENCY_KEY_REUSED, idempotent_api_create
from core.ratelimit import limit_creations
from core.roles import is_staff_member
from incidents import bulk, ci_services, services
from incidents.attachments import download_response
from incidents.choices import Channel
from incidents.filtersets import IncidentFilterSet
from incidents.history import incident_events
from incidents.models import Incident, IncidentAttachment, IncidentComment, PriorityMatrixEntry

from .serializers import (
    AttachmentSerializer,
    BulkChangeSerializer,
    BulkResponseSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    HistoryEventSerializer,
    IllegalTransitionErrorSerializer,
    IncidentCILinkSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    LinkCISerializer,
    MergeSerializer,
    PriorityMatrixEntrySerializer,
    TransitionSerializer,
)

# People and the group are joined; the small lookup tables are prefetched: every extra join multiplies the join orders
# PostgreSQL weighs (7 joins cost 12-20 ms of planning on a 0.4 ms query at 100,000 incidents; see docs/benchmarks.md).
_LIST_RELATIONS = ("requester", "assignment_group", "assignee")
_LIST_LOOKUPS = ("organisation", "service", "category")
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such incident, or not visible to the caller.")),
}
_CONFLICT = OpenApiResponse(ErrorSerializer, description=_("The incident's state does not allow this."))
_TOO_LARGE = OpenApiResponse(ErrorSerializer, description=_("An attachment is larger than the limit."))
_RATE_LIMITED = OpenApiResponse(ErrorSerializer, description=_("Too many incidents created; see Retry-After."))


@extend_schema_view(
    list=extend_schema(summary=_("Incidents the caller may see, filtered, sorted and paginated")),
    retrieve=extend_schema(summary=_("One incident"), responses={200: IncidentDetailSerializer, 404: _ERRORS[404]}),
)
class IncidentViewSet(VisibleModelViewSet):
    """Incidents by number (INC-000123). No DELETE: an incident is cancelled or merged, never removed."""

    queryset = Incident.objects.select_related(*_LIST_RELATIONS).prefetch_related(*_LIST_LOOKUPS)
    serializer_class = IncidentSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]+"
    filterset_class = IncidentFilterSet
    # The filterset sorts (its `ordering` filter); DRF's OrderingFilter would read the same parameter and undo it.
    filter_backends = [DjangoFilterBackend]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # DELETE only for unlinking a CI: an incident itself is cancelled or merged, never removed (destroy below).
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset().defer("search_vector", "internal_search_vector")
        if self.action == "list":
            return queryset.defer("description", "resolution_notes")
        return queryset.select_related("logged_by", "parent", "duplicate_of")

    def _detail(self, incident, status_code=status.HTTP_200_OK, headers=None):
        """Answer with the incident as the caller now sees it (re-read through the authorisation layer)."""
        fresh = self.get_queryset().get(pk=incident.pk)
        data = IncidentDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(exclude=True)
    def destroy(self, request, *args, **kwargs):
        raise MethodNotAllowed("DELETE")

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        return Response(IncidentDetailSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("Report an incident (staff may log one for someone else)"),
        request=IncidentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: IncidentDetailSerializer, **_ERRORS, 413: _TOO_LARGE, 422: IDEMPOTENCY_KEY_REUSED,
                   429: _RATE_LIMITED},
    )
    @idempotent_api_create("incidents.api.create")  # outermost: a replay answers before the rate limit counts it
    @limit_creations
    def create(self, request, *args, **kwargs):
        data = self._validated(IncidentCreateSerializer)
        if not is_staff_member(request.user):
            data["channel"] = Channel.API
        incident = services.create_incident(actor=request.user, **data)
        location = self.reverse_action("detail", kwargs={"number": incident.number})
        return self._detail(incident, status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary=_("Change an incident's fields (staff; needs the version you read)"),
        request=IncidentUpdateSerializer,
        responses={200: IncidentDetailSerializer, **_ERRORS,
                   409: OpenApiResponse(StaleVersionErrorSerializer, description=_("Stale version or closed."))},
    )
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        changes = self._validated(IncidentUpdateSerializer)
        version = changes.pop("version")
        services.update_incident(incident, actor=request.user, version=version, **changes)
        return self._detail(incident)

    @extend_schema(
        summary=_("Move the incident through its lifecycle"),
        request=TransitionSerializer,
        responses={200: IncidentDetailSerializer, **_ERRORS,
                   409: OpenApiResponse(IllegalTransitionErrorSerializer,
                                        description=_("Not allowed from this state (with the allowed actions), "
                                                      "or a stale version."))},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, number=None):
        incident = self.get_object()
        data = self._validated(TransitionSerializer)
        services.transition_incident(incident, data.pop("action"), actor=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary=_("Apply one action to many incidents, each row through the same service as a single change"),
        description=_("Each row is changed in its own transaction: a row whose version is stale answers 409 in its "
                      "result and the other rows still change. The answer is 200 with one result per row, in order; "
                      "a request that names no valid action or no rows is 400 and changes nothing."),
        request=BulkChangeSerializer, responses={200: BulkResponseSerializer, 400: _ERRORS[400]},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        data = self._validated(BulkChangeSerializer)
        rows = [(row["number"].strip().upper(), row.get("version")) for row in data.pop("incidents")]
        results = bulk.bulk_change(Incident.objects.visible_to(request.user), rows, data.pop("action"),
                                   actor=request.user, **data)
        return Response({"results": results})

    @extend_schema(summary=_("The conversation (internal notes only for staff)"),
                   responses={200: CommentSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request, number=None):
        incident = self.get_object()
        attachments = IncidentAttachment.objects.select_related("uploaded_by").order_by("created_at", "id")
        queryset = (
            IncidentComment.objects.visible_to(request.user).filter(incident=incident).select_related("author")
            .prefetch_related(Prefetch("attachments", queryset=attachments))
        )
        page = self.paginate_queryset(queryset)
        serializer = CommentSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary=_("Write a public reply or an internal note, with attachments (multipart) or without (JSON)"),
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **_ERRORS, 409: _CONFLICT, 413: _TOO_LARGE},
    )
    @comments.mapping.post
    def add_comment(self, request, number=None):
        incident = self.get_object()
        data = self._validated(CommentCreateSerializer)
        comment = services.add_comment(incident, actor=request.user, body=data["body"], internal=data["is_internal"],
                                       attachments=data["attachments"], version=data.get("version"))
        comment = IncidentComment.objects.select_related("author").prefetch_related("attachments__uploaded_by").get(
            pk=comment.pk
        )
        return Response(CommentSerializer(comment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Who changed what and when (the audit trail)"),
                   responses={200: HistoryEventSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, number=None):
        incident = self.get_object()
        page = self.paginate_queryset(incident_events(incident, request.user))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)

    @extend_schema(summary=_("Close this incident as a duplicate of another (team leads)"),
                   request=MergeSerializer, responses={200: IncidentDetailSerializer, **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, number=None):
        incident = self.get_object()
        data = self._validated(MergeSerializer)
        services.merge_incident(incident, into=data["into"], actor=request.user)
        return self._detail(incident)

    @extend_schema(summary=_("Files attached to the incident and its conversation"),
                   responses={200: AttachmentSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def attachments(self, request, number=None):
        incident = self.get_object()
        queryset = IncidentAttachment.objects.visible_to(request.user).filter(incident=incident).select_related(
            "uploaded_by", "comment"
        ).order_by("created_at", "id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            AttachmentSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    def _ci_links(self, incident):
        links = incident.ci_links.select_related("configuration_item__ci_class", "added_by").filter(
            configuration_item__in=ConfigurationItem.objects.visible_to(self.request.user)
        )
        return Response(IncidentCILinkSerializer(links, many=True).data)

    @extend_schema(summary=_("Configuration items and services the incident affects"),
                   responses={200: IncidentCILinkSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], url_path="configuration-items", filter_backends=[], pagination_class=None)
    def configuration_items(self, request, number=None):
        return self._ci_links(self.get_object())

    @extend_schema(summary=_("Link configuration items (or affected services) to the incident (staff)"),
                   request=LinkCISerializer, responses={200: IncidentCILinkSerializer(many=True), **_ERRORS,
                                                        409: _CONFLICT})
    @configuration_items.mapping.post
    def link_configuration_items(self, request, number=None):
        incident = self.get_object()
        data = self._validated(LinkCISerializer)
        ci_services.link_configuration_items(incident, actor=request.user, items=data["configuration_items"],
                                             link=data["link"])
        return self._ci_links(incident)

    @extend_schema(summary=_("Unlink a configuration item from the incident (staff)"),
                   parameters=[OpenApiParameter("link", str,
                                                description=_("affected_ci (default) or affected_service"))],
                   responses={204: None, **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["delete"], url_path=r"configuration-items/(?P<ci_id>[0-9]+)", filter_backends=[])
    def unlink_configuration_item(self, request, number=None, ci_id=None):
        incident = self.get_object()
        ci_services.unlink_configuration_item(incident, actor=request.user, item=int(ci_id),
                                              link=request.query_params.get("link", "affected_ci"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary=_("Record the services the linked CIs' failure reaches (from the CMDB impact graph)"),
                   request=None, responses={200: IncidentCILinkSerializer(many=True), **_ERRORS, 409: _CONFLICT})
    @action(detail=True, methods=["post"], url_path="fill-affected-services", filter_backends=[])
    def fill_affected_services(self, request, number=None):
        incident = self.get_object()
        ci_services.fill_affected_services(incident, actor=request.user)
        return self._ci_links(incident)


class _DownloadRenderer(renderers.BaseRenderer):
    """Lets a client that accepts only the file's bytes ask for them; errors are still JSON."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data)


class AttachmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One attachment's metadata and its download, each permission-checked like the incident it belongs to."""

    serializer_class = AttachmentSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return IncidentAttachment.objects.visible_to(self.request.user).select_related("uploaded_by", "comment")

    @extend_schema(summary=_("Download the file (always as an attachment, never rendered inline)"),
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, _DownloadRenderer])
    def download(self, request, pk=None):
        attachment = self.get_object()
        return download_response(attachment)


class PriorityMatrixViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                            viewsets.GenericViewSet):
    """The impact × urgency → priority matrix: everyone reads it; administrators change a cell's priority."""

    queryset = PriorityMatrixEntry.objects.all()
    serializer_class = PriorityMatrixEntrySerializer
    permission_classes = [IsAdministratorOrReadOnly]
    pagination_class = None  # sixteen cells
    filter_backends = []
