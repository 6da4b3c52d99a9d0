"""Time spent on any record through the API: GET /api/v1/records/{kind}/{number}/time/ lists the entries and the
total, POST records the caller's own minutes (staff only; the record must be visible to the caller)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from core.api.serializers import ErrorSerializer
from core.numbering import normalise_number
from core.roles import is_staff_member

from . import effort
from .models import TimeEntry
from .registry import KINDS


class TimeEntrySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "user", "group", "minutes", "note", "spent_on", "comment_id", "created_at"]
        read_only_fields = fields


class TimeEntryCreateSerializer(serializers.Serializer):
    # Text, so records.effort.clean_minutes words the refusal the same way as the desk's form.
    minutes = serializers.CharField(help_text=_("Whole minutes, 1 to 1440."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)
    spent_on = serializers.DateField(required=False)


class TimeListSerializer(serializers.Serializer):
    total_minutes = serializers.IntegerField()
    results = TimeEntrySerializer(many=True)


_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Only service desk staff record time.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such record, or not visible to the caller.")),
}


class RecordTimeView(generics.GenericAPIView):
    serializer_class = TimeEntrySerializer
    pagination_class = None
    filter_backends = []

    @property
    def practice_scope(self):
        """A token needs the scope of the record's kind (incidents for INC-), as on the kind's own API."""
        kind = KINDS.get(getattr(self, "kwargs", {}).get("kind", ""))
        return kind.api_scope if kind else None

    def get_record(self):
        kind = KINDS.get(self.kwargs["kind"])
        if kind is None:
            raise Http404
        record = get_object_or_404(kind.model.objects.visible_to(self.request.user),
                                   number=normalise_number(kind.prefix, self.kwargs["number"]))
        if not is_staff_member(self.request.user):
            raise PermissionDenied(_("Only service desk staff see time spent."))
        return record

    @extend_schema(summary=_("Time spent on a record: each entry and the total"),
                   responses={200: TimeListSerializer, 403: _ERRORS[403], 404: _ERRORS[404]})
    def get(self, request, kind, number):
        record = self.get_record()
        entries = effort.entries_of(record)
        return Response({"total_minutes": effort.total_minutes(record),
                         "results": TimeEntrySerializer(entries, many=True).data})

    @extend_schema(summary=_("Record time you spent on a record"), request=TimeEntryCreateSerializer,
                   responses={201: TimeEntrySerializer, **_ERRORS})
    def post(self, request, kind, number):
        record = self.get_record()
        data = TimeEntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = effort.log_time(record, actor=request.user, minutes=data.validated_data["minutes"],
                                note=data.validated_data.get("note", ""),
                                spent_on=data.validated_data.get("spent_on"))
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("records/<str:kind>/<str:number>/time/", RecordTimeView.as_view(), name="record-time"),
]
