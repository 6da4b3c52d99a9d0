"""GET /api/v1/sla/dashboard/: the dashboard's figures as JSON (team leads, managers and administrators).

Same period rules, filters, restriction and figures as the page: see sla.dashboard.queries for the definitions.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import ErrorSerializer

from ..choices import AgreementKind
from .forms import CUSTOM, PRESETS, DashboardForm
from .queries import DIMENSIONS, METRICS, can_view_dashboard, dashboard_figures, visible_condition


class FigureSerializer(serializers.Serializer):
    met = serializers.IntegerField(help_text=_("Clocks met, their stop in the period."))
    breached = serializers.IntegerField(help_text=_("Clocks breached, their breach in the period."))
    compliance = serializers.FloatField(allow_null=True,
                                        help_text=_("100 × met / (met + breached), one decimal; null if both are 0."))
    reached = serializers.IntegerField(help_text=_("Clocks that reached their milestone (met or late) in the period."))
    average_seconds = serializers.IntegerField(
        allow_null=True, help_text=_("Their average business time to the milestone, in seconds; null if none."))


class MetricFiguresSerializer(serializers.Serializer):
    def get_fields(self):
        fields = super().get_fields()  # a row's key and label, a week's Monday
        fields.update({str(metric): FigureSerializer(label=metric.label) for metric in METRICS})
        return fields


class BreakdownRowSerializer(MetricFiguresSerializer):
    key = serializers.IntegerField(allow_null=True, help_text=_("The id (the priority's number); null for none."))
    label = serializers.CharField()


class BreakdownsSerializer(serializers.Serializer):
    def get_fields(self):
        return {dimension: BreakdownRowSerializer(many=True) for dimension in DIMENSIONS}


class TrendRowSerializer(MetricFiguresSerializer):
    week = serializers.DateField(help_text=_("The Monday of the week."))


class PeriodSerializer(serializers.Serializer):
    def get_fields(self):  # "from" is a Python keyword
        return {"from": serializers.DateField(source="first"), "to": serializers.DateField(source="last"),
                "start": serializers.DateTimeField(), "end": serializers.DateTimeField(help_text=_("Exclusive."))}


class NowClockSerializer(serializers.Serializer):
    incident = serializers.CharField(source="incident.number")
    title = serializers.CharField(source="incident.title")
    url = serializers.SerializerMethodField()
    metric = serializers.CharField()
    priority = serializers.IntegerField()
    assignment_group = serializers.CharField(source="assignment_group.name", allow_null=True, default=None)
    service = serializers.CharField(source="service.name", allow_null=True, default=None)
    due_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    # xgettext:no-python-format
    handled_percent = serializers.IntegerField(help_text=_("The highest threshold (% of target) passed."))

    def get_url(self, clock) -> str:
        return reverse("incidents:detail", args=[clock.incident.number])


class NowSerializer(serializers.Serializer):
    breached_count = serializers.IntegerField(help_text=_("Open clocks past their target."))
    at_risk_count = serializers.IntegerField(help_text=_("Running clocks past a warning threshold, not breached."))
    breached = NowClockSerializer(many=True, help_text=_("The longest-breached first (at most 50)."))
    at_risk = NowClockSerializer(many=True, help_text=_("The soonest due first (at most 50)."))


class DashboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    totals = MetricFiguresSerializer()
    average_goals = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("Per metric, the average business time (seconds) the totals are held against."))
    breakdowns = BreakdownsSerializer()
    trend = TrendRowSerializer(many=True)
    now = NowSerializer()


class CanViewDashboard(permissions.IsAuthenticated):
    message = _("The SLA dashboard is open to team leads, managers and administrators.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and can_view_dashboard(request.user)


def _parameter(name, type_, description, **kwargs):
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, required=False, description=description, **kwargs)


class SLADashboardView(APIView):
    permission_classes = [CanViewDashboard]

    @extend_schema(
        operation_id="sla_dashboard",
        tags=["sla"],
        summary=_("SLA compliance, breaches and at-risk clocks"),
        description=_(
            "Compliance of first response, progress updates and resolution over a period, by service, priority, "
            "assignment group and organisation, the weekly trend, and the breached and at-risk clocks now. A clock "
            "counts in the period when it was met (stopped within target) or breached there. A team lead sees the "
            "clocks of the groups they lead; managers and administrators see all."
        ),
        parameters=[
            _parameter("period", OpenApiTypes.STR, _("Last 7, 30 (default) or 90 days, or custom."),
                       enum=[*(str(days) for days in PRESETS), CUSTOM]),
            _parameter("from", OpenApiTypes.DATE, _("First day of a custom period (YYYY-MM-DD).")),
            _parameter("to", OpenApiTypes.DATE, _("Last day of a custom period, included.")),
            _parameter("kind", OpenApiTypes.STR, _("Kind of agreement."), enum=AgreementKind.values),
            _parameter("service", OpenApiTypes.INT, _("Service id.")),
            _parameter("group", OpenApiTypes.INT, _("Assignment group id.")),
            _parameter("organisation", OpenApiTypes.INT, _("Organisation id.")),
        ],
        responses={
            200: DashboardSerializer,
            400: OpenApiResponse(ErrorSerializer,
                                 description=_("Invalid period or filter; each failing field is named.")),
            401: OpenApiResponse(ErrorSerializer, description=_("Not signed in.")),
            403: OpenApiResponse(ErrorSerializer, description=_("Not a team lead, manager or administrator.")),
        },
    )
    def get(self, request):
        form = DashboardForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError({field: list(messages) for field, messages in form.errors.items()})
        figures = dashboard_figures(visible_condition(request.user) & form.condition(), form.period_range)
        return Response(DashboardSerializer(figures).data)
