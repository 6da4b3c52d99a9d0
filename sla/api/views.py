"""The SLA API: staff read, administrators write (calendars through sla.services, agreements through
sla.definitions), end users are refused (403). Clocks are read-only.

Calendars, agreements and clocks are staff data (`visible_to`); exceptions live under their calendar's URL.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer
from core.api.views import IsAdministratorOrReadOnly, VisibleModelViewSet, VisibleQuerysetMixin
from core.roles import is_staff_member
from sla import businesstime, definitions, services
from sla.filtersets import (
    BusinessCalendarFilterSet,
    CalendarExceptionFilterSet,
    SLAClockFilterSet,
    SLADefinitionFilterSet,
)
from sla.models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    ExceptionPeriod,
    SLAClock,
    SLADefinition,
    SLATarget,
    WorkingPeriod,
)

from .serializers import (
    BusinessCalendarSerializer,
    CalendarExceptionSerializer,
    ComputeQuerySerializer,
    ComputeResultSerializer,
    FillResultSerializer,
    FillSerializer,
    SLAClockSerializer,
    SLADefinitionSerializer,
)

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such calendar.")),
}


class StaffReadAdministratorWrite(IsAdministratorOrReadOnly):
    """Staff may read; only administrators may change; end users get nothing (403)."""

    message = _("Business calendars are open to staff only, and changed by administrators.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_staff_member(request.user)


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary=_("Business calendars")),
    retrieve=extend_schema(summary=_("One business calendar with its weekly periods"), responses={
        200: BusinessCalendarSerializer, 404: _ERRORS[404]}),
    create=extend_schema(summary=_("Create a calendar (administrators)"), responses={
        201: BusinessCalendarSerializer, **_ERRORS}),
    update=extend_schema(summary=_("Change a calendar; `periods` replaces the weekly pattern"), responses={
        200: BusinessCalendarSerializer, **_ERRORS}),
    partial_update=extend_schema(summary=_("Change some of a calendar's fields"), responses={
        200: BusinessCalendarSerializer, **_ERRORS}),
    destroy=extend_schema(summary=_("Delete a calendar with its periods and exceptions"), responses={
        204: None, 403: _ERRORS[403], 404: _ERRORS[404]}),
)
class BusinessCalendarViewSet(VisibleModelViewSet):
    queryset = BusinessCalendar.objects.prefetch_related(
        Prefetch("periods", queryset=WorkingPeriod.objects.order_by("weekday", "start_time"))
    ).annotate(exception_count=Count("exceptions")).order_by("name")  # GROUP BY drops Meta.ordering
    serializer_class = BusinessCalendarSerializer
    permission_classes = [StaffReadAdministratorWrite]
    filterset_class = BusinessCalendarFilterSet
    ordering_fields = ["name", "time_zone", "created_at"]

    def _detail(self, calendar, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=calendar.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = _validated(self.get_serializer_class(), request.data, context=self.get_serializer_context())
        calendar = services.create_calendar(actor=request.user, **data)
        return self._detail(calendar, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        calendar = self.get_object()
        serializer = self.get_serializer(calendar, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        calendar = services.update_calendar(calendar, actor=request.user, **serializer.validated_data)
        return self._detail(calendar)

    def destroy(self, request, *args, **kwargs):
        services.delete_calendar(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("Add a year's public holidays and make-up working days from the holidays library"),
        request=FillSerializer, responses={200: FillResultSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def fill(self, request, pk=None):
        calendar = self.get_object()
        data = _validated(FillSerializer, request.data)
        result = services.fill_calendar(calendar, actor=request.user, **data)
        return Response(FillResultSerializer(result).data)

    @extend_schema(
        summary=_("Business time on this calendar: start + duration → due, or start + end → business duration"),
        parameters=[ComputeQuerySerializer], responses={200: ComputeResultSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def compute(self, request, pk=None):
        calendar = self.get_object()
        snapshot = businesstime.load_calendar(calendar.pk)
        query = _validated(ComputeQuerySerializer, request.query_params, time_zone=snapshot.tz)
        start = query["start"]
        result = {"start": start, "due": None, "end": None, "business_duration": None, "business_seconds": None}
        if "duration" in query:
            try:
                result["due"] = businesstime.add_business_time(snapshot, start, query["duration"])
            except businesstime.NoWorkingTime:
                raise DjangoValidationError({"duration": [_(
                    "The calendar has no working time for this duration within ten years of the start."
                )]}) from None
        else:
            spent = businesstime.business_time_between(snapshot, start, query["end"])
            result.update(end=query["end"], business_duration=spent, business_seconds=spent.total_seconds())
        # Instants are answered in the calendar's time zone.
        output = ComputeResultSerializer(result)
        for name in ("start", "due", "end"):
            output.fields[name].timezone = snapshot.tz
        return Response(output.data)


@extend_schema(parameters=[OpenApiParameter("calendar_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                                            description=_("The calendar's id."))])
@extend_schema_view(
    list=extend_schema(summary=_("A calendar's exceptions (holidays and extra working days)")),
    create=extend_schema(summary=_("Add an exception (administrators)"), responses={
        201: CalendarExceptionSerializer, **_ERRORS}),
    destroy=extend_schema(summary=_("Remove an exception"), responses={204: None, 403: _ERRORS[403],
                                                                        404: _ERRORS[404]}),
)
class CalendarExceptionViewSet(viewsets.ModelViewSet):
    """Exceptions of one calendar, at /sla/calendars/{calendar_pk}/exceptions/."""

    serializer_class = CalendarExceptionSerializer
    permission_classes = [StaffReadAdministratorWrite]
    filterset_class = CalendarExceptionFilterSet
    ordering_fields = ["date"]
    queryset = CalendarException.objects.prefetch_related(
        Prefetch("periods", queryset=ExceptionPeriod.objects.order_by("start_time"))
    ).order_by("date")

    def calendar(self):
        if not hasattr(self, "_calendar"):
            visible = BusinessCalendar.objects.visible_to(self.request.user)
            self._calendar = get_object_or_404(visible, pk=self.kwargs.get("calendar_pk"))
        return self._calendar

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(calendar=self.calendar())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["calendar"] = self.calendar()
        return context

    def _answer(self, exception, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=exception.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exception = services.save_exception(self.calendar(), actor=request.user, **serializer.validated_data)
        return self._answer(exception, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        exception = self.get_object()
        serializer = self.get_serializer(exception, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        exception = services.save_exception(self.calendar(), actor=request.user, exception=exception,
                                            **serializer.validated_data)  # the whole exception (see validate)
        return self._answer(exception)

    def destroy(self, request, *args, **kwargs):
        services.delete_exception(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Service level agreements and clocks ------------------------------------------------------------------------

_AGREEMENT_ERRORS = {**_ERRORS, 404: OpenApiResponse(ErrorSerializer, description=_("No such agreement.")),
                     409: OpenApiResponse(ErrorSerializer, description=_("The agreement has clocks; deactivate it."))}


class AgreementsStaffReadAdministratorWrite(StaffReadAdministratorWrite):
    message = _("Service level agreements are open to staff only, and changed by administrators.")


@extend_schema_view(
    list=extend_schema(summary=_("Service level agreements, OLAs and underpinning contracts")),
    retrieve=extend_schema(summary=_("One agreement with its targets and escalation steps"), responses={
        200: SLADefinitionSerializer, 404: _AGREEMENT_ERRORS[404]}),
    create=extend_schema(summary=_("Create an agreement (administrators)"), responses={
        201: SLADefinitionSerializer, **_ERRORS}),
    update=extend_schema(summary=_("Change an agreement; `targets` and `steps` replace the whole sets"), responses={
        200: SLADefinitionSerializer, **_ERRORS}),
    partial_update=extend_schema(summary=_("Change some of an agreement's fields"), responses={
        200: SLADefinitionSerializer, **_ERRORS}),
    destroy=extend_schema(summary=_("Delete an agreement that never ran a clock"), responses={
        204: None, 403: _ERRORS[403], 404: _AGREEMENT_ERRORS[404], 409: _AGREEMENT_ERRORS[409]}),
)
class SLADefinitionViewSet(VisibleModelViewSet):
    """Agreements: staff read them; administrators change them through sla.definitions."""

    queryset = SLADefinition.objects.select_related("calendar").prefetch_related(
        "services", "organisations", "assignment_groups",
        Prefetch("targets", queryset=SLATarget.objects.order_by("priority", "metric")),
        Prefetch("steps", queryset=EscalationStep.objects.order_by("at_percent", "id")),
    ).order_by("name")
    serializer_class = SLADefinitionSerializer
    permission_classes = [AgreementsStaffReadAdministratorWrite]
    filterset_class = SLADefinitionFilterSet
    ordering_fields = ["name", "kind", "created_at"]

    def _detail(self, agreement, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=agreement.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = _validated(self.get_serializer_class(), request.data, context=self.get_serializer_context())
        agreement = definitions.create_agreement(actor=request.user, **data)
        return self._detail(agreement, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        agreement = self.get_object()
        serializer = self.get_serializer(agreement, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        agreement = definitions.update_agreement(agreement, actor=request.user, **serializer.validated_data)
        return self._detail(agreement)

    def destroy(self, request, *args, **kwargs):
        definitions.delete_agreement(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffOnly(permissions.IsAuthenticated):
    message = _("SLA clocks are open to staff only.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_staff_member(request.user)


@extend_schema_view(
    list=extend_schema(summary=_("SLA clocks (filter by incident number: ?incident=INC-000123)")),
    retrieve=extend_schema(summary=_("One SLA clock"), responses={
        200: SLAClockSerializer, 404: OpenApiResponse(ErrorSerializer, description=_("No such clock."))}),
)
class SLAClockViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Clocks of the incidents the caller sees, read-only: they change only with their incident and agreement."""

    queryset = SLAClock.objects.select_related("incident", "sla").order_by("incident_id", "metric", "sla_id", "id")
    serializer_class = SLAClockSerializer
    permission_classes = [StaffOnly]
    filterset_class = SLAClockFilterSet
    ordering_fields = ["due_at", "started_at", "stopped_at"]
