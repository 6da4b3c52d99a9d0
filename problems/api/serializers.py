"""API representations of problems and trend candidates; write serializers only validate and hand input to the
services (problems.services, problems.trends), which make every change."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import (
    AssignmentGroupBriefSerializer,
    ErrorSerializer,
    PersonBriefSerializer,
    StrictFieldsMixin,
)
from core.models import AssignmentGroup, User
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from servicedesk.api.serializers import CategoryBriefSerializer, ServiceBriefSerializer
from servicedesk.models import Category, Service

from ..choices import CauseCategory, ProblemAction, ProblemSource, ProblemState
from ..figures import problem_figures
from ..models import Problem, ProblemCandidate
from ..workflow import WORKFLOW

TEXT_MAX = 100_000


def _display(field):
    return serializers.CharField(source=f"get_{field}_display", read_only=True)


class ProblemSerializer(serializers.ModelSerializer):
    """A problem as a list row."""

    url = serializers.HyperlinkedIdentityField(view_name="problem-detail", lookup_field="number")
    state_display = _display("state")
    priority_display = _display("priority")
    assignment_group = AssignmentGroupBriefSerializer(read_only=True)
    assignee = PersonBriefSerializer(read_only=True)
    service = ServiceBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)

    class Meta:
        model = Problem
        fields = ["url", "number", "title", "state", "state_display", "priority", "priority_display", "impact",
                  "urgency", "source", "cause_category", "service", "category", "assignment_group", "assignee",
                  "created_at", "updated_at", "resolved_at", "closed_at", "version"]
        read_only_fields = fields


class FiguresSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    total = serializers.IntegerField()
    lost_hours = serializers.FloatField(help_text=_("Business hours from each linked incident's creation to its "
                                                    "resolution (or now), on the default calendar."))


class ProblemDetailSerializer(ProblemSerializer):
    incidents = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "description", "root_cause", "analysis_notes", "workaround",
                  "fix_description", "review_notes", "incidents", "figures", "allowed_actions"]
        read_only_fields = fields

    def get_incidents(self, problem) -> list[str]:
        from ..figures import linked_incidents

        return list(linked_incidents(problem).order_by("pk").values_list("number", flat=True))

    def get_figures(self, problem) -> FiguresSerializer:
        return problem_figures(problem)

    def get_allowed_actions(self, problem) -> list[str]:
        request = self.context.get("request")
        return WORKFLOW.allowed_actions(request.user, problem) if request else []


@extend_schema_field(OpenApiTypes.STR)
class _IncidentNumberField(serializers.SlugRelatedField):
    """An incident named by its number, among those the caller may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Incident.objects.visible_to(request.user if request else None)


class ProblemCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    source = serializers.ChoiceField(choices=ProblemSource.choices, default=ProblemSource.MANUAL)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.MODERATE)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.filter(is_active=True),
                                                          required=False, allow_null=True)
    incidents = serializers.ListField(child=_IncidentNumberField(), required=False, default=list,
                                      help_text=_("Numbers of the incidents it causes (linked)."))


class ProblemUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text=_("The version you read; a stale one answers 409."))
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), required=False,
                                                          allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    analysis_notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    fix_description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)


class ProblemActionSerializer(StrictFieldsMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=ProblemAction.choices)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    fix_description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    resolve_incidents = serializers.BooleanField(required=False, default=False,
                                                 help_text=_("resolve: also resolve the open linked incidents."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX,
                                 help_text=_("resolve: the public note the incidents' requesters read."))


class FailedIncidentSerializer(serializers.Serializer):
    number = serializers.CharField()
    reason = serializers.CharField()


class ProblemActionResultSerializer(serializers.Serializer):
    problem = ProblemDetailSerializer()
    resolved_incidents = serializers.ListField(child=serializers.CharField())
    failed_incidents = FailedIncidentSerializer(many=True)


class ProblemIllegalTransitionErrorSerializer(ErrorSerializer):
    state = serializers.ChoiceField(choices=ProblemState.choices, required=False)
    allowed = serializers.ListField(child=serializers.ChoiceField(choices=ProblemAction.choices), required=False)
    current_version = serializers.IntegerField(required=False)


class CandidateSerializer(serializers.ModelSerializer):
    dimension_display = _display("dimension")
    state_display = _display("state")
    incidents = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    problem = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = ProblemCandidate
        fields = ["id", "dimension", "dimension_display", "label", "state", "state_display", "window_start",
                  "window_end", "incidents", "problem", "decided_at", "created_at"]
        read_only_fields = fields


class CandidateAcceptSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
