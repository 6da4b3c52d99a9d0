"""API representations of business calendars (weekly periods nested in the calendar, exceptions with their own
periods, the holiday fill and the business-time computation), of agreements with their targets and escalation steps,
and of clocks. Validation names the failing field (and row)."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.duration import duration_string
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictFieldsMixin
from core.models import AssignmentGroup, Organisation
from incidents.choices import Priority
from servicedesk.models import Service
from sla import businesstime
from sla.choices import ClockStatus, ExceptionKind, Weekday
from sla.definitions import steps_errors, targets_error
from sla.engine import elapsed_at
from sla.models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    ExceptionPeriod,
    SLAClock,
    SLADefinition,
    SLATarget,
    WorkingPeriod,
    threshold_errors,
    validate_has_working_time,
)
from sla.services import date_clash_error, exception_errors, period_errors

MAX_COMPUTE_DURATION = timedelta(days=3650)
COMPUTE_YEARS = (1900, 2200)
_WEEKDAYS_HELP = _("0 = Monday … 6 = Sunday")
# Lazy as a whole: `%` on a lazy string translates it at once, i.e. at import, in the default language.
_works_like_help = lazy(lambda: _("For a working day without its own periods: use the periods of this weekday "
                                  "(%(help)s).") % {"help": _WEEKDAYS_HELP}, str)


# The same choices as `weekday`; described inline so the schema keeps one component (WeekdayEnum) per choice set
# without an ENUM_NAME_OVERRIDES entry.
@extend_schema_field({"type": "integer", "enum": [*Weekday.values, None], "nullable": True})
class WorksLikeWeekdayField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _works_like_help())
        super().__init__(choices=Weekday.choices, allow_null=True, required=False, **kwargs)


class WorkingPeriodSerializer(serializers.ModelSerializer):
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta:
        model = WorkingPeriod
        fields = ["weekday", "weekday_display", "start_time", "end_time"]
        # Overlaps and uniqueness are checked for the whole set (period_errors), not row by row against the database.
        validators = []


class ExceptionPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExceptionPeriod
        fields = ["start_time", "end_time"]
        validators = []


class BusinessCalendarSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A calendar with its weekly pattern. Writing `periods` replaces the whole pattern; leaving it out keeps it."""

    periods = WorkingPeriodSerializer(many=True, required=False)
    has_working_time = serializers.SerializerMethodField()
    exception_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "description", "periods", "has_working_time", "exception_count",
                  "revision", "created_at", "updated_at"]
        read_only_fields = ["id", "has_working_time", "exception_count", "revision", "created_at", "updated_at"]
        extra_kwargs = {"time_zone": {"default": "Asia/Shanghai"}}  # the model's default, also when creating here

    def get_has_working_time(self, calendar) -> bool:
        return bool(calendar.periods.all())  # prefetched by the view

    def validate_periods(self, periods):
        problems = period_errors(periods)
        if any(problems):
            raise serializers.ValidationError(problems)
        return periods


class CalendarExceptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A holiday, or a working day with its own periods or the periods of the weekday it works like."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    works_like_weekday = WorksLikeWeekdayField()
    periods = ExceptionPeriodSerializer(many=True, required=False)

    class Meta:
        model = CalendarException
        fields = ["id", "date", "kind", "kind_display", "name", "works_like_weekday", "periods"]
        read_only_fields = ["id", "kind_display"]
        extra_kwargs = {"kind": {"default": ExceptionKind.HOLIDAY}}  # the model's default, also when creating here
        validators = []  # (calendar, date) uniqueness is checked in validate(): the calendar comes from the URL

    def validate(self, attrs):
        """The exception as it will be (a change keeps what it does not give), as sla.services.save_exception
        takes it, checked with the service's own rules so that the problems name their field and row."""
        attrs = super().validate(attrs)
        if self.instance is not None:
            current = self.instance
            attrs = {"date": current.date, "kind": current.kind, "name": current.name,
                     "works_like_weekday": current.works_like_weekday,
                     "periods": [{"start_time": p.start_time, "end_time": p.end_time} for p in current.periods.all()],
                     **attrs}
        errors = exception_errors(attrs.get("kind", ExceptionKind.HOLIDAY), attrs.get("works_like_weekday"),
                                  attrs.get("periods", []))
        if clash := date_clash_error(self.context["calendar"], attrs.get("date"), self.instance):
            errors["date"] = clash
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class FillSerializer(StrictFieldsMixin, serializers.Serializer):
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    country = serializers.CharField(max_length=3, default="CN", help_text=_("ISO 3166-1 code, e.g. CN."))
    subdiv = serializers.CharField(max_length=10, required=False, allow_blank=True,
                                   help_text=_("A subdivision (province, state), if the country has them."))
    works_like_weekday = WorksLikeWeekdayField(
        help_text=_("The weekday whose periods make-up working days use (default: the first working weekday)."),
    )


class FillResultSerializer(serializers.Serializer):
    holidays = serializers.ListField(child=serializers.DateField(), help_text=_("Holidays added."))
    working_days = serializers.ListField(child=serializers.DateField(), help_text=_("Make-up working days added."))
    kept = serializers.ListField(child=serializers.DateField(),
                                 help_text=_("Dates that already had an exception and were left as they were."))


class _InRangeDateTimeField(serializers.DateTimeField):
    """DRF's, except that a naive time too close to year 1 or 9999 to place in the time zone is refused with DRF's
    "out of range" message (DRF answers an aware one so, but lets the naive one's OverflowError through: a 500)."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class ComputeQuerySerializer(serializers.Serializer):
    """Either start + duration (when is it due?) or start + end (how much business time lies between?).

    A datetime without an offset is read in the calendar's time zone.
    """

    start = _InRangeDateTimeField()
    duration = serializers.DurationField(required=False, help_text=_("Business time to add, e.g. PT4H or 04:00:00."))
    end = _InRangeDateTimeField(required=False)

    def __init__(self, *args, time_zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        if time_zone is not None:
            for name in ("start", "end"):
                self.fields[name].timezone = time_zone

    def validate_duration(self, value):
        if value < timedelta(0):
            raise serializers.ValidationError(_("The duration must not be negative."))
        if value > MAX_COMPUTE_DURATION:
            raise serializers.ValidationError(_("The duration must not exceed ten years."))
        return value

    def validate_start(self, value):
        if not COMPUTE_YEARS[0] <= value.year <= COMPUTE_YEARS[1]:  # dates near year 1 or 9999 overflow
            raise serializers.ValidationError(_("Give a start between the years %(first)s and %(last)s.") % {
                "first": COMPUTE_YEARS[0], "last": COMPUTE_YEARS[1]})
        return value

    def validate(self, attrs):
        if ("duration" in attrs) == ("end" in attrs):
            raise serializers.ValidationError({"duration": _("Give either a duration or an end, not both.")})
        if "end" in attrs and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must not be before the start.")})
        if "end" in attrs and attrs["end"] - attrs["start"] > MAX_COMPUTE_DURATION:  # the work grows with the span
            raise serializers.ValidationError({"end": _("The end must be within ten years of the start.")})
        return attrs


class ComputeResultSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    due = serializers.DateTimeField(allow_null=True, help_text=_("When `duration` of business time has passed."))
    end = serializers.DateTimeField(allow_null=True)
    business_duration = serializers.DurationField(allow_null=True, help_text=_("Business time from start to end."))
    business_seconds = serializers.FloatField(allow_null=True)


# --- Service level agreements -------------------------------------------------------------------------------------

class SLATargetSerializer(serializers.ModelSerializer):
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)

    class Meta:
        model = SLATarget
        fields = ["priority", "priority_display", "metric", "duration"]
        validators = []  # the whole set is checked at once (target_errors)


class EscalationStepSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    # xgettext:no-python-format
    at_percent = serializers.IntegerField(help_text=_("1–100 % of the target; 100 is the breach."))
    # Any group, active or not, so that an inactive one is refused with a message saying so (step_errors).
    target_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), allow_null=True,
                                                      required=False)

    class Meta:
        model = EscalationStep
        fields = ["at_percent", "metric", "action", "action_display", "target_group"]
        validators = []


class SLADefinitionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An agreement with its targets and escalation steps; writing `targets` or `steps` replaces the whole set."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    priorities = serializers.ListField(child=serializers.ChoiceField(choices=Priority.choices), required=False,
                                       help_text=_("Empty: every priority."))
    warning_thresholds = serializers.ListField(
        child=serializers.IntegerField(), required=False,
        help_text=_("Percentages of the target (1–99) at which a clock is at risk; default 75 and 90."))
    services = serializers.PrimaryKeyRelatedField(many=True, queryset=Service.objects.all(), required=False,
                                                  help_text=_("Empty: every service."))
    organisations = serializers.PrimaryKeyRelatedField(many=True, queryset=Organisation.objects.all(),
                                                       required=False, help_text=_("Empty: every organisation."))
    assignment_groups = serializers.PrimaryKeyRelatedField(
        many=True, queryset=AssignmentGroup.objects.all(), required=False,
        help_text=_("Empty: whichever group holds the record. For an OLA, the groups it binds."))
    targets = SLATargetSerializer(many=True)
    steps = EscalationStepSerializer(many=True, required=False)

    class Meta:
        model = SLADefinition
        fields = ["id", "name", "kind", "kind_display", "description", "party", "is_active", "record_kind",
                  "services", "organisations", "priorities", "assignment_groups", "calendar", "warning_thresholds",
                  "reopen_policy", "checkpoints", "targets", "steps", "created_at", "updated_at"]
        read_only_fields = ["id", "checkpoints", "created_at", "updated_at"]

    def validate_calendar(self, calendar):
        try:
            validate_has_working_time(calendar)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["calendar"]) from None
        return calendar

    def validate_warning_thresholds(self, thresholds):
        problems = threshold_errors(thresholds)
        if problems:
            raise serializers.ValidationError(problems)
        return thresholds

    def validate_targets(self, targets):
        if problems := targets_error(targets):
            raise serializers.ValidationError(problems)
        return targets

    def validate_steps(self, steps):
        problems = steps_errors(steps)
        if any(problems):
            raise serializers.ValidationError(problems)
        return steps


class SLAClockSerializer(serializers.ModelSerializer):
    """A clock as an agent sees it; `business_elapsed_now` and `business_time_left` are computed at the request."""

    incident = serializers.SlugRelatedField(slug_field="number", read_only=True)
    sla_name = serializers.CharField(source="sla.name", read_only=True)
    metric_display = serializers.CharField(source="get_metric_display", read_only=True)
    status = serializers.ChoiceField(choices=ClockStatus.choices, read_only=True)
    status_display = serializers.CharField(source="status_label", read_only=True)
    business_elapsed_now = serializers.SerializerMethodField()
    business_time_left = serializers.SerializerMethodField()

    class Meta:
        model = SLAClock
        fields = ["id", "incident", "sla", "sla_name", "sla_kind", "metric", "metric_display", "target", "state",
                  "status", "status_display", "met", "breached", "run", "started_at", "business_elapsed_now",
                  "business_time_left", "due_at", "paused_at", "stopped_at", "breached_at", "handled_percent",
                  "priority", "service", "assignment_group", "organisation"]
        read_only_fields = fields

    def _elapsed(self, clock):
        # One calendar load per distinct calendar of the page (cached in the context), not per clock.
        calendars = self.context.setdefault("calendars", {})
        if clock.sla.calendar_id not in calendars:
            calendars[clock.sla.calendar_id] = businesstime.load_calendar(clock.sla.calendar_id)
        return elapsed_at(clock, calendars[clock.sla.calendar_id], self.context.setdefault("now", timezone.now()))

    @extend_schema_field(serializers.DurationField(help_text=_("Business time used up to now.")))
    def get_business_elapsed_now(self, clock):
        return duration_string(self._elapsed(clock))

    @extend_schema_field(serializers.DurationField(help_text=_("Business time left (negative once overdue).")))
    def get_business_time_left(self, clock):
        return duration_string(clock.target - self._elapsed(clock))
