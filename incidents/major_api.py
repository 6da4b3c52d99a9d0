"""The major-incident API under /api/v1/incidents/{number}/: declare, stakeholder updates, attach, review, and
"this affects me too" for end users. Every change goes through incidents.major; lookups through visible_to (or, for
affects-me, the major incidents announced to the caller)."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import ErrorSerializer
from core.models import User
from core.numbering import normalise_number

from . import major
from .api.serializers import IllegalTransitionErrorSerializer
from .models import Incident, MajorIncident

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; each failing field is named.")),
    403: OpenApiResponse(ErrorSerializer, description=_("The caller may not do this.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such incident, or not visible to the caller.")),
    409: OpenApiResponse(IllegalTransitionErrorSerializer,
                         description=_("The incident's state (or a newer version) does not allow this.")),
}


class MajorIncidentSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="incident.number", read_only=True)
    manager = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.IntegerField(source="incident.version", read_only=True)

    class Meta:
        model = MajorIncident
        fields = ["number", "status", "manager", "declared_at", "summary", "review", "reviewed_at", "problem_id",
                  "version"]
        read_only_fields = fields


class DeclareSerializer(serializers.Serializer):
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    summary = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)


class UpdateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class UpdateResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class AttachSerializer(serializers.Serializer):
    child = serializers.CharField(max_length=30, help_text=_("The number of the incident to attach (INC-000123)."))


class ChildSerializer(serializers.Serializer):
    number = serializers.CharField()
    parent = serializers.CharField(source="parent.number", allow_null=True)
    state = serializers.CharField()
    created = serializers.BooleanField(required=False)


class ReviewSerializer(serializers.Serializer):
    review = serializers.CharField(max_length=20000)
    version = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)


class AffectsMeSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


def _incident(request, number):
    return get_object_or_404(Incident.objects.visible_to(request.user), number=normalise_number("INC", number))


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _MajorView(APIView):
    practice_scope = "incidents"


class DeclareView(_MajorView):
    @extend_schema(summary=_("Declare a major incident (team leads) and name its manager"), request=DeclareSerializer,
                   responses={200: MajorIncidentSerializer, **_ERRORS}, tags=["major incidents"])
    def post(self, request, number):
        incident = _incident(request, number)
        data = _valid(DeclareSerializer, request)
        incident = major.declare_major(incident, actor=request.user, manager=data["manager"],
                                       version=data["version"], summary=data["summary"])
        return Response(MajorIncidentSerializer(MajorIncident.objects.get(incident=incident)).data)


class UpdateView(_MajorView):
    @extend_schema(summary=_("Send one stakeholder update to the requesters of the major incident and its children"),
                   request=UpdateSerializer, responses={201: UpdateResultSerializer, **_ERRORS},
                   tags=["major incidents"])
    def post(self, request, number):
        incident = _incident(request, number)
        data = _valid(UpdateSerializer, request)
        event = major.post_update(incident, actor=request.user, body=data["body"])
        return Response({"id": event.pk, "text": event.data["text"], "created_at": event.created_at},
                        status=status.HTTP_201_CREATED)


class AttachView(_MajorView):
    @extend_schema(summary=_("Attach an incident to the major incident as its child"), request=AttachSerializer,
                   responses={200: ChildSerializer, **_ERRORS}, tags=["major incidents"])
    def post(self, request, number):
        incident = _incident(request, number)
        data = _valid(AttachSerializer, request)
        child = Incident.objects.visible_to(request.user).filter(number=normalise_number("INC", data["child"])).first()
        if child is None:
            return Response({"child": [str(_("No such incident."))]}, status=status.HTTP_400_BAD_REQUEST)
        major.attach_to_major(incident, child, actor=request.user)
        return Response(ChildSerializer(Incident.objects.select_related("parent").get(pk=child.pk)).data)


class ReviewView(_MajorView):
    @extend_schema(summary=_("Record the review of a resolved major incident (it may close then); raises a problem"),
                   request=ReviewSerializer, responses={200: MajorIncidentSerializer, **_ERRORS},
                   tags=["major incidents"])
    def post(self, request, number):
        incident = _incident(request, number)
        data = _valid(ReviewSerializer, request)
        process = major.review_major(incident, actor=request.user, review=data["review"], version=data["version"])
        return Response(MajorIncidentSerializer(process).data)


class AffectsMeView(_MajorView):
    @extend_schema(summary=_("This affects me too: attach (or open) the caller's incident under a major incident"),
                   request=AffectsMeSerializer,
                   responses={200: ChildSerializer, 201: ChildSerializer, 400: _ERRORS[400], 404: _ERRORS[404],
                              409: _ERRORS[409]},
                   tags=["major incidents"])
    def post(self, request, number):
        incident = get_object_or_404(major.major_incidents_for(request.user), number=normalise_number("INC", number))
        data = _valid(AffectsMeSerializer, request)
        mine, created = major.join_major(incident, actor=request.user, description=data["description"])
        body = ChildSerializer(mine).data | {"created": created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


urlpatterns = [
    path("incidents/<str:number>/major/", DeclareView.as_view(), name="incident-major"),
    path("incidents/<str:number>/major/updates/", UpdateView.as_view(), name="incident-major-updates"),
    path("incidents/<str:number>/major/attach/", AttachView.as_view(), name="incident-major-attach"),
    path("incidents/<str:number>/major/review/", ReviewView.as_view(), name="incident-major-review"),
    path("incidents/<str:number>/affects-me/", AffectsMeView.as_view(), name="incident-affects-me"),
]
