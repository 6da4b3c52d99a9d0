"""The CMDB API: reads go through `visible_to`, changes to CIs and relationships through cmdb.services, imports
through cmdb.importer. Class definitions are administrators' data (read by everyone signed in).
"""

from datetime import UTC

from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cmdb import attributes as attrs
from cmdb import graph, history, importer, services
from cmdb.choices import Direction, ImportOutcome
from cmdb.filtersets import ConfigurationItemFilterSet, RelationshipFilterSet
from cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, ImportJob, Relationship, RelationshipType
from cmdb.querysets import can_edit_cis
from core.api.serializers import ErrorSerializer, StaleVersionErrorSerializer
from core.api.views import IsAdministratorOrReadOnly, VisibleModelViewSet, VisibleQuerysetMixin
from core.exceptions import Conflict
from core.request_body import upload_limit
from core.roles import is_staff_member

from . import serializers as s

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such record, or not visible to the caller.")),
}
ATTRIBUTE_PARAMETERS = [
    OpenApiParameter("attr", OpenApiTypes.STR, many=True, description=_(
        "Attribute filter key:value, e.g. `attr=os:Linux`; repeat it for several (all must hold). Values are "
        "matched as typed by the class definitions (`attr=cpu_count:8` finds the number 8).")),
    OpenApiParameter("attributes__{key}", OpenApiTypes.STR, description=_(
        "The same filter written per key: `attributes__os=Linux`. Replace {key} with the attribute key.")),
]
DEPTH = OpenApiParameter("depth", OpenApiTypes.INT, description=_("How many links to follow (1-50, default 10)."))


class CanEditCMDBOrReadOnly(permissions.IsAuthenticated):
    """Everyone signed in reads what they may see; staff change CIs and relationships and run imports.

    On one record the refusal waits until the record is found, so one the caller may not see is a 404, not a 403.
    """

    message = _("Only service desk and operations staff may change the CMDB.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS or can_edit_cis(request.user):
            return True
        return bool(view.kwargs.get(view.lookup_url_kwarg or view.lookup_field))

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or can_edit_cis(request.user)


def _depth(request):
    try:
        return int(request.query_params.get("depth", graph.default_depth()))
    except ValueError:
        raise serializers.ValidationError({"depth": [_("A whole number.")]}) from None


class CIClassViewSet(viewsets.ModelViewSet):
    """CI classes with their attribute definitions (inherited first). Administrators change them."""

    queryset = CIClass.objects.select_related("parent").order_by("name")
    serializer_class = s.CIClassSerializer
    permission_classes = [IsAdministratorOrReadOnly]
    filterset_fields = ["code", "is_service"]
    ordering_fields = ["name", "code"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "schemas": attrs.all_schemas()}

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise Conflict(_("CIs or subclasses of this class exist; it cannot be deleted.")) from None


class AttributeDefinitionViewSet(viewsets.ModelViewSet):
    """Attribute definitions, one per class and key. Deleting one removes its values from every CI of the class."""

    queryset = AttributeDefinition.objects.select_related("ci_class").order_by("ci_class__name", "position", "key")
    serializer_class = s.AttributeDefinitionSerializer
    permission_classes = [IsAdministratorOrReadOnly]
    filterset_fields = ["ci_class", "key", "type"]

    def perform_destroy(self, instance):
        services.delete_attribute_definition(instance, actor=self.request.user)


class RelationshipTypeViewSet(viewsets.ModelViewSet):
    queryset = RelationshipType.objects.prefetch_related("allowed_source_classes", "allowed_target_classes")
    serializer_class = s.RelationshipTypeSerializer
    permission_classes = [IsAdministratorOrReadOnly]
    filterset_fields = ["code", "propagates_impact", "allows_cycles"]

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise Conflict(_("Relationships of this type exist; it cannot be deleted.")) from None


@extend_schema_view(
    list=extend_schema(summary=_("CIs the caller may see, filtered (also on attribute values) and paginated"),
                       parameters=ATTRIBUTE_PARAMETERS),
    retrieve=extend_schema(summary=_("One CI"), responses={200: s.ConfigurationItemDetailSerializer,
                                                           404: _ERRORS[404]}),
)
class ConfigurationItemViewSet(VisibleModelViewSet):
    """Configuration items. No DELETE: a CI is retired or disposed (its lifecycle state), not removed."""

    queryset = ConfigurationItem.objects.select_related("ci_class", "owner", "organisation", "support_group")
    serializer_class = s.ConfigurationItemSerializer
    permission_classes = [CanEditCMDBOrReadOnly]
    filterset_class = ConfigurationItemFilterSet
    # The filterset sorts (its `ordering` filter); DRF's OrderingFilter would read the same parameter.
    filter_backends = [DjangoFilterBackend]
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, ci, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=ci.pk)
        return Response(s.ConfigurationItemDetailSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return Response(s.ConfigurationItemDetailSerializer(self.get_object(),
                                                            context=self.get_serializer_context()).data)

    @extend_schema(summary=_("Record a CI; its attributes are checked against its class"),
                   request=s.ConfigurationItemCreateSerializer,
                   responses={201: s.ConfigurationItemDetailSerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        ci = services.create_ci(actor=request.user, **self._validated(s.ConfigurationItemCreateSerializer))
        return self._detail(ci, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Change a CI (needs the version you read; attributes are a merge patch)"),
                   request=s.ConfigurationItemUpdateSerializer,
                   responses={200: s.ConfigurationItemDetailSerializer, **_ERRORS,
                              409: OpenApiResponse(StaleVersionErrorSerializer, description=_("Stale version."))})
    def partial_update(self, request, *args, **kwargs):
        ci = self.get_object()
        changes = self._validated(s.ConfigurationItemUpdateSerializer)
        version = changes.pop("version")
        if "attributes" in changes:
            changes["attributes"] = services.merge_attributes(ci.attributes, changes["attributes"])
        services.update_ci(ci, actor=request.user, version=version, **changes)
        return self._detail(ci)

    @extend_schema(summary=_("Impact analysis: what depends on this CI (down) or what it rests on (up)"),
                   parameters=[OpenApiParameter("direction", OpenApiTypes.STR, enum=["down", "up"],
                                                description=_("down (default) or up")), DEPTH],
                   responses={200: s.ImpactSerializer, 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def impact(self, request, pk=None):
        ci = self.get_object()
        direction = request.query_params.get("direction", Direction.DOWN)
        if direction not in Direction.values:
            raise serializers.ValidationError({"direction": [_("down or up.")]})
        depth = _depth(request)
        depths = graph.impact([ci.pk], direction=direction, max_depth=depth)
        # Thousands of dependants: plain rows, not model instances through a serializer (the schema still says
        # what they hold, from ImpactSerializer).
        columns = ("pk", "name", "state", "ci_class__code", "organisation_id")
        items = [
            {"id": pk, "name": name, "ci_class": code, "state": state, "organisation": organisation,
             "depth": depths[pk]}
            for pk, name, state, code, organisation in ConfigurationItem.objects.visible_to(request.user).among(
                depths).values_list(*columns)
        ]
        items.sort(key=lambda item: (item["depth"], item["name"], item["id"]))
        data = {"ci": s.CIBriefSerializer(ci).data, "direction": direction, "max_depth": graph.clamp_depth(depth),
                "count": len(items), "items": items}
        if direction == Direction.DOWN:
            affected = graph.affected_services([ci.pk], user=request.user, known_dependants=depths)
            data["affected"] = s.AffectedServicesSerializer(affected).data
        return Response(data)

    @extend_schema(summary=_("Business and technical services hit when these CIs fail, and who uses them"),
                   parameters=[OpenApiParameter("ci", OpenApiTypes.INT, many=True, required=True,
                                                description=_("CI ids; repeat for several.")), DEPTH],
                   responses={200: s.AffectedServicesSerializer, 400: _ERRORS[400]})
    @action(detail=False, methods=["get"], url_path="affected-services", filter_backends=[])
    def affected_services(self, request):
        try:
            wanted = [int(v) for v in request.query_params.getlist("ci")]
        except ValueError:
            raise serializers.ValidationError({"ci": [_("CI ids are whole numbers.")]}) from None
        if not wanted:
            raise serializers.ValidationError({"ci": [_("Name at least one CI.")]})
        visible = list(self.get_queryset().filter(pk__in=wanted).values_list("pk", flat=True))
        result = graph.affected_services(visible, max_depth=_depth(request), user=request.user)
        return Response(s.AffectedServicesSerializer(result).data)

    @extend_schema(summary=_("The CI's relationships, each read from this CI"),
                   responses={200: s.CIRelationshipSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def relationships(self, request, pk=None):
        ci = self.get_object()
        page = self.paginate_queryset(graph.relationships_of(ci, request.user))
        return self.get_paginated_response(s.CIRelationshipSerializer(graph.read_from(ci, page), many=True).data)

    def _staff_only(self, request):
        if not is_staff_member(request.user):
            self.permission_denied(request, message=_("The history of CIs is for staff."))

    @extend_schema(summary=_("Who changed what and when, on the CI and its relationships (staff)"),
                   responses={200: s.HistoryRowSerializer(many=True), 403: _ERRORS[403], 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        ci = self.get_object()
        self._staff_only(request)
        page = self.paginate_queryset(history.ci_history(ci))
        return self.get_paginated_response(s.HistoryRowSerializer(page, many=True).data)

    @extend_schema(summary=_("The CI compared between two instants (staff)"),
                   parameters=[OpenApiParameter("from", OpenApiTypes.DATETIME, required=True),
                               OpenApiParameter("to", OpenApiTypes.DATETIME, required=True)],
                   responses={200: s.CompareSerializer, **_ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[])
    def compare(self, request, pk=None):
        ci = self.get_object()
        self._staff_only(request)
        instants = {}
        for name in ("from", "to"):
            try:  # None when not ISO at all, ValueError when ISO-shaped but impossible (month 13)
                value = parse_datetime(request.query_params.get(name, "") or "")
                if value is not None:
                    # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (+20:27); OverflowError
                    # when the instant falls before year 1.
                    value = (value if timezone.is_aware(value) else timezone.make_aware(value)).astimezone(UTC)
            except (ValueError, OverflowError):
                value = None
            if value is None:
                raise serializers.ValidationError({name: [_("An ISO date and time, e.g. 2025-01-31T08:00:00Z.")]})
            instants[name] = value
        return Response(s.CompareSerializer(history.compare(ci, instants["from"], instants["to"])).data)


@extend_schema_view(
    list=extend_schema(summary=_("Relationships between CIs the caller may see")),
    create=extend_schema(summary=_("Link two CIs (the type must allow their classes; no loop where it forbids one)"),
                         request=s.RelationshipCreateSerializer, responses={201: s.RelationshipSerializer, **_ERRORS}),
)
class RelationshipViewSet(VisibleQuerysetMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                          viewsets.ReadOnlyModelViewSet):
    queryset = Relationship.objects.select_related("type", "source__ci_class", "target__ci_class").order_by("id")
    serializer_class = s.RelationshipSerializer
    permission_classes = [CanEditCMDBOrReadOnly]
    filterset_class = RelationshipFilterSet

    def create(self, request, *args, **kwargs):
        serializer = s.RelationshipCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        rel = services.create_relationship(actor=request.user, **serializer.validated_data)
        rel = self.get_queryset().get(pk=rel.pk)
        return Response(s.RelationshipSerializer(rel).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.delete_relationship(instance, actor=self.request.user)


class IsStaff(permissions.IsAuthenticated):
    message = _("Imports are for service desk and operations staff.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and can_edit_cis(request.user)


@upload_limit("CMDB_IMPORT_MAX_BYTES")
class ImportJobViewSet(VisibleQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bulk imports: upload a file, get a job; small files are imported at once (201), larger ones in the background
    (202) — poll the job until its state is done or failed, then read its rows.
    """

    queryset = ImportJob.objects.select_related("created_by").defer("payload", "relationships_payload", "rows")
    serializer_class = s.ImportJobSerializer
    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["state", "external_source"]

    @extend_schema(summary=_("Upload a CSV or JSON file of CIs (and relationships)"),
                   request={"multipart/form-data": s.ImportJobCreateSerializer},
                   responses={201: s.ImportJobSerializer, 202: s.ImportJobSerializer, **_ERRORS,
                              413: OpenApiResponse(ErrorSerializer, description=_("Over the size limit."))})
    def create(self, request, *args, **kwargs):
        serializer = s.ImportJobCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = importer.create_job(actor=request.user, file=data["file"],
                                  relationships_file=data.get("relationships_file"), external_source=data["source"])
        code = status.HTTP_201_CREATED if importer.start_job(job) else status.HTTP_202_ACCEPTED
        job = self.get_queryset().get(pk=job.pk)
        return Response(s.ImportJobSerializer(job, context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary=_("The job's row-by-row report"),
                   parameters=[OpenApiParameter("outcome", OpenApiTypes.STR, enum=ImportOutcome.values),
                               OpenApiParameter("section", OpenApiTypes.STR, enum=["cis", "relationships"])],
                   responses={200: s.ImportRowSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[])
    def rows(self, request, pk=None):
        job = self.get_object()
        rows = ImportJob.objects.filter(pk=job.pk).values_list("rows", flat=True).get() or []
        outcome, section = request.query_params.get("outcome"), request.query_params.get("section")
        rows = [r for r in rows
                if (not outcome or r["outcome"] == outcome) and (not section or r["section"] == section)]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ImportRowSerializer(page, many=True).data)

